"""How the probe runner keeps up: lateness percentiles and concurrency of recent runs."""

from __future__ import annotations

from dataclasses import dataclass

from probes.scheduler import Lateness
from vacmon.models import ProbeDispatch, ProbeResult
from vacmon.probes.dispatch import WATERMARK
from vacmon.probes.outbox import backlog


@dataclass(frozen=True)
class RunnerStats:
    since: float
    until: float
    runs: int
    lateness_p50: float
    lateness_p95: float
    lateness_max: float
    max_concurrency: int
    mean_concurrency: float
    last_dispatched: int
    last_skipped: int
    outbox_backlog: int


def _runs(since: float, until: float) -> list[tuple[float, float, float | None]]:
    # Fan-out probes store several rows per run with the same start; count each run once.
    rows = ProbeResult.objects.filter(started_at__gte=since, started_at__lt=until)
    found = rows.values_list(
        "definition_id", "hostname", "flavour", "started_at", "finished_at", "lateness"
    ).distinct()
    return [(start, finish, late) for _, _, _, start, finish, late in found]


def concurrency(intervals: list[tuple[float, float]]) -> int:
    """Most runs in progress at one instant (a sweep over start and finish events)."""
    events = sorted([(s, 1) for s, _ in intervals] + [(max(s, f), -1) for s, f in intervals])
    # At equal times, finishes sort first (-1 < 1): back-to-back runs do not overlap.
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def runner_stats(since: float, until: float) -> RunnerStats:
    runs = _runs(since, until)
    lateness = Lateness()
    for _, _, late in runs:
        if late is not None:
            lateness.record(0.0, late)
    intervals = [(s, f) for s, f, _ in runs]
    busy = sum(max(0.0, f - s) for s, f in intervals)
    mark = ProbeDispatch.objects.filter(name=WATERMARK).first()
    return RunnerStats(
        since=since,
        until=until,
        runs=len(runs),
        lateness_p50=lateness.percentile(50),
        lateness_p95=lateness.percentile(95),
        lateness_max=lateness.maximum,
        max_concurrency=concurrency(intervals),
        mean_concurrency=round(busy / (until - since), 3) if until > since else 0.0,
        last_dispatched=mark.last_dispatched if mark else 0,
        last_skipped=mark.last_skipped if mark else 0,
        outbox_backlog=backlog(),
    )
