"""Celery tasks: one-line wrappers around plain functions, with explicit time limits."""

from __future__ import annotations

import time

from celery import shared_task

from vacmon.apel import tasks as _apel_tasks  # noqa: F401
from vacmon.dashboard import tasks as _dashboard_tasks  # noqa: F401
from vacmon.probes import tasks as _probes_tasks  # noqa: F401
from vacmon.publisher import tasks as _publisher_tasks  # noqa: F401
from vacmon.store import get_store


@shared_task(time_limit=3600, ignore_result=True)
def maintain_store() -> None:
    get_store().maintain(int(time.time()))
