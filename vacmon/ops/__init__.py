"""Operations: liveness and readiness probes, and Prometheus metrics read at scrape time."""
