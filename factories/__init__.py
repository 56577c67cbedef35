"""VacMon's reference factory library: build and send status messages (no Django)."""

from __future__ import annotations

__version__ = "1.0.0"
