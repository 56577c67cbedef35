"""Celery tasks: one-line wrappers around plain functions, with explicit time limits."""

from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings

from vacmon.apel import tasks as _apel_tasks  # noqa: F401
from vacmon.dashboard import tasks as _dashboard_tasks  # noqa: F401
from vacmon.probes import tasks as _probes_tasks  # noqa: F401
from vacmon.publisher import tasks as _publisher_tasks  # noqa: F401
from vacmon.store import get_store
from vacmon.store.embedded import rollups


@shared_task(time_limit=600, ignore_result=True)
def build_rollups() -> dict[int, int]:
    if settings.ELASTICSEARCH_URL:
        # Its rollups live in the cluster (vacmon/store/es/rollups.py); no watermarks to
        # report from the database.
        get_store().maintain(int(time.time()))  # type: ignore[attr-defined]
        return {}
    marks = rollups.build(int(time.time()))
    rollups.optimise()
    return marks


@shared_task(time_limit=3600, ignore_result=True)
def purge_old_messages() -> int:
    if settings.ELASTICSEARCH_URL:
        return 0  # Elasticsearch retention is the data stream lifecycle's job.
    now = int(time.time())
    deleted = get_store().purge(before=now - settings.VACMON_RAW_RETENTION_DAYS * 86400)
    return deleted + rollups.purge(before=now - settings.VACMON_ROLLUP_RETENTION_DAYS * 86400)
