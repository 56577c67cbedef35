from __future__ import annotations

from celery import shared_task

from vacmon.dashboard.warm import warm_overview


@shared_task(time_limit=55)
def warm_dashboard() -> int:
    return warm_overview()
