"""Celery tasks of the probes: one-line wrappers with explicit time limits."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from celery import shared_task
from django.conf import settings

from vacmon.probes import service
from vacmon.probes.targets import TargetRef


@shared_task(time_limit=120, ignore_result=True)
def dispatch_probes() -> int:
    return service.dispatch_due(time.time(), send=enqueue_probe)


# The hard limit leaves the plugin's own timeout (at most the interval, so <= 1 h) room to
# fire first and be recorded as UNKNOWN.
@shared_task(soft_time_limit=3660, time_limit=3720, ignore_result=True)
def run_probe(
    definition_id: int, kind: str, hostname: str, flavour: str, site: str, due_at: float
) -> int:
    return len(service.run_probe(TargetRef(definition_id, kind, hostname, flavour, site), due_at))


@shared_task(time_limit=600, ignore_result=True)
def publish_probe_results() -> int:
    return service.publish_results()


@shared_task(time_limit=3000, ignore_result=True)
def compute_daily_availability() -> int:
    return service.store_yesterday(datetime.now(UTC))


@shared_task(time_limit=1800, ignore_result=True)
def purge_probe_results() -> int:
    now = datetime.now(UTC)
    return service.purge_results(now - timedelta(days=settings.VACMON_PROBE_RETENTION_DAYS))


def enqueue_probe(ref: TargetRef, due_at: float) -> None:
    """Hand one run to a worker, to start at its slot (ETA) rather than at the tick."""
    args = (ref.definition_id, ref.kind, ref.hostname, ref.flavour, ref.site, due_at)
    eta = datetime.fromtimestamp(due_at, UTC)
    run_probe.apply_async(args=args, eta=eta if due_at > time.time() else None)
