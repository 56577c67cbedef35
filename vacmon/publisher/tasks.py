"""CRR Celery tasks: one-line wrappers around `services`, with explicit time limits.

`publish_all` runs every five minutes (CELERY_BEAT_SCHEDULE) and fans out one task per
space and per site; each claims its period, so a task delivered twice publishes once.
"""

from __future__ import annotations

import time

from celery import shared_task

from vacmon.publisher import services


@shared_task(time_limit=120, ignore_result=True)
def publish_all() -> int:
    return services.fan_out(int(time.time()), publish_space.delay, publish_site.delay)


@shared_task(time_limit=120, ignore_result=True)
def publish_space(site: str, space: str, tick: int) -> None:
    services.publish_space(site, space, tick=tick)


@shared_task(time_limit=120, ignore_result=True)
def publish_first(site: str, space: str) -> None:
    """A new space's first documents, queued by ingest through first.py, not the schedule."""
    services.publish_first(site, space)


@shared_task(time_limit=300, ignore_result=True)
def publish_site(site: str, tick: int) -> None:
    services.publish_site(site, tick=tick)
