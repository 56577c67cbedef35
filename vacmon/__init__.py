"""VacMon: central monitoring and publication service for vacuum-model sites."""

from __future__ import annotations

from vacmon.celery import app as celery_app

__all__ = ["celery_app"]
