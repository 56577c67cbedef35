"""Read-side functions shared by the API and the dashboard: plain values in, plain out."""
