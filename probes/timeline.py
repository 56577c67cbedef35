"""Status timelines: metric step functions, downtime overrides and ARGO aggregation (3.1, 3.3)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from probes.operations import OperationsProfile

Result = tuple[float, str]  # (epoch seconds, status name)


@dataclass(frozen=True)
class Timeline:
    """A step function over [start, end): each change holds until the next one."""

    start: float
    end: float
    changes: tuple[Result, ...]

    def __post_init__(self) -> None:
        if self.end <= self.start or not self.changes or self.changes[0][0] != self.start:
            raise ValueError("a timeline needs start < end and a state at its start")

    @classmethod
    def build(cls, start: float, end: float, changes: Iterable[Result]) -> Timeline:
        """Normalise: clip to the window, sort, keep the last state per instant, merge repeats.

        Changes at the same instant (after clipping) keep their input order, the last winning.
        """
        clipped = [(min(max(when, start), end), state) for when, state in changes]
        at: dict[float, str] = {}
        for when, state in sorted(clipped, key=lambda change: change[0]):
            at[when] = state
        merged: list[Result] = []
        for when, state in sorted(at.items()):
            if when < end and (not merged or merged[-1][1] != state):
                merged.append((when, state))
        return cls(start, end, tuple(merged))

    def state_at(self, when: float) -> str:
        index = bisect.bisect_right([change[0] for change in self.changes], when) - 1
        return self.changes[max(index, 0)][1]

    def segments(self) -> list[tuple[float, float, str]]:
        bounds = [change[0] for change in self.changes[1:]] + [self.end]
        return [(w, e, s) for (w, s), e in zip(self.changes, bounds, strict=True)]

    def durations(self) -> dict[str, float]:
        """Seconds spent in each state."""
        totals: dict[str, float] = {}
        for start, end, state in self.segments():
            totals[state] = totals.get(state, 0.0) + end - start
        return totals


def metric_timeline(
    results: Iterable[Result],
    start: float,
    end: float,
    missing: str = "MISSING",
    stale_after: float | None = None,
) -> Timeline:
    """The step function of one (endpoint, metric) over [start, end).

    The state at `start` is the last earlier result, or `missing` if there is none (ARGO's
    CalcPrevStatus). `stale_after` is our extension: a result older than that many seconds
    becomes `missing`, so a stopped probe runner cannot hold a state for ever.
    """
    ordered = sorted(results, key=lambda result: result[0])
    earlier = [r for r in ordered if r[0] < start]
    changes: list[Result] = [(start, missing)]
    if earlier:
        changes.append(earlier[-1])
    changes.extend(r for r in ordered if start <= r[0] < end)
    if stale_after is not None:
        changes = _with_staleness(changes, stale_after, missing)
    return Timeline.build(start, end, changes)


def _with_staleness(changes: list[Result], stale_after: float, missing: str) -> list[Result]:
    out: list[Result] = []
    for index, (when, state) in enumerate(changes):
        out.append((when, state))
        following = changes[index + 1][0] if index + 1 < len(changes) else float("inf")
        if state != missing and when + stale_after < following:
            out.append((when + stale_after, missing))
    return out


def combine_timelines(
    operation: str, timelines: Sequence[Timeline], operations: OperationsProfile
) -> Timeline:
    """Apply a truth-table operation instant by instant; no timelines at all gives MISSING."""
    if not timelines:
        raise ValueError("combine_timelines needs at least one timeline")
    start, end = timelines[0].start, timelines[0].end
    if any(t.start != start or t.end != end for t in timelines):
        raise ValueError("timelines to combine must cover the same window")
    instants = sorted({change[0] for t in timelines for change in t.changes})
    changes = [
        (i, operations.fold(operation, (t.state_at(i) for t in timelines))) for i in instants
    ]
    return Timeline.build(start, end, changes)


@dataclass(frozen=True)
class Downtime:
    """A GOCDB-style downtime of one endpoint. Only scheduled downtime counts (spec 3.6)."""

    hostname: str
    service_flavour: str
    start: float
    end: float
    scheduled: bool = True


def apply_downtimes(
    timeline: Timeline, periods: Iterable[tuple[float, float]], down: str
) -> Timeline:
    """Overwrite the timeline with `down` over each period, whatever the metrics said."""
    result = timeline
    for start, end in sorted(periods):
        lo, hi = max(start, result.start), min(end, result.end)
        if lo >= hi:
            continue
        kept = [c for c in result.changes if c[0] < lo or c[0] >= hi]
        resume = (hi, result.state_at(hi))
        result = Timeline.build(result.start, result.end, [*kept, (lo, down), resume])
    return result
