"""Fuzz drivers: long randomised runs against the parsers of untrusted input."""
