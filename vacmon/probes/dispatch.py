"""The beat tick: which targets fall due before the next tick, one task for each.

Beat runs every TICK seconds. Each tick hands out the runs due in (horizon, now + TICK],
each with an ETA at its slot, so the one-minute beat does not add up to a minute of
lateness: what remains is queueing in the workers, which each run records. The horizon is
claimed by a conditional UPDATE, so two beats (or a beat restarted mid-tick) never hand out
the same slot twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from probes.scheduler import ScheduledTarget, Scheduler
from vacmon.models import ProbeDispatch
from vacmon.probes.targets import TargetRef, all_targets

TICK = 60.0
# After a beat outage, each target runs once at its first missed slot; older slots are
# counted as skipped rather than replayed (the core Scheduler's rule).
MAX_CATCH_UP = 3600.0
SEED = "vacmon-probes"
WATERMARK = "probes"

Send = Callable[[TargetRef, float], None]


@dataclass(frozen=True)
class Plan:
    runs: list[tuple[TargetRef, float]]
    skipped: int
    start: float
    horizon: float


def _claim_window(now: float) -> tuple[float, float] | None:
    mark, _ = ProbeDispatch.objects.get_or_create(name=WATERMARK, defaults={"horizon": now})
    start = max(mark.horizon, now - MAX_CATCH_UP)
    horizon = now + TICK
    if horizon <= start:
        return None  # this window was already handed out
    changed = ProbeDispatch.objects.filter(name=WATERMARK, horizon=mark.horizon).update(
        horizon=horizon
    )
    return (start, horizon) if changed == 1 else None


def plan(now: float) -> Plan:
    """Claim the next window and list the runs due in it."""
    pairs = all_targets(int(now))
    window = _claim_window(now)
    if window is None:
        return Plan([], 0, now, now)
    start, horizon = window
    scheduler = Scheduler(seed=SEED)
    refs = {}
    for row, ref in pairs:
        refs[ref.key] = ref
        # Slots exactly at `start` belonged to the previous window.
        scheduler.add(ScheduledTarget(ref.key, float(row.interval)), start + 1e-6)
    runs = [(refs[run.key], run.due_at) for run in scheduler.due(horizon)]
    return Plan(runs, scheduler.skipped, start, horizon)


def dispatch(now: float, send: Send) -> Plan:
    found = plan(now)
    for ref, due_at in found.runs:
        send(ref, due_at)
    ProbeDispatch.objects.filter(name=WATERMARK).update(
        last_dispatched=len(found.runs), last_skipped=found.skipped
    )
    return found
