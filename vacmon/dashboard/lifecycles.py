"""Finished machines: outcome codes, durations, efficiency and histograms. Pure: no database.

Vac pushes machine_status at finish time with a null shutdown_message (spec 1.8 quirk 1);
the reliable outcome is the machinetype_status that later names that machine as its
`shutdown_machine`. `fill_outcomes` joins the two.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from factories.messages import Message
from vacmon.store.shutdowns import Shutdown

FAMILIES = ("100", "200", "300", "400", "500", "600", "700")
UNKNOWN = "unknown"
FAMILY_MEANING = {
    "100": "shutdown requested by the host",
    "200": "work completed",
    "300": "no more work",
    "400": "site/host banned or disabled",
    "500": "site environment problem",
    "600": "grid-wide job agent problem",
    "700": "transient job agent error",
    UNKNOWN: "no shutdown message",
}
# How long after a machine's last message its outcome may still appear in a
# machinetype_status: a factory cycle or two, with generous slack.
OUTCOME_SLACK = 3600
DURATION_EDGES = (0, 600, 3600, 6 * 3600, 12 * 3600, 24 * 3600, 48 * 3600)
# What is read of the machine messages behind lifecycles (pages read a thousand).
LIFECYCLE_FIELDS = (
    "state",
    "created_time",
    "started_time",
    "heartbeat_time",
    "shutdown_time",
    "shutdown_message",
    "cpu_seconds",
    "num_processors",
    "hs06",
)

_CODE = re.compile(r"^\s*([1-7])\d\d\b")


def code_family(message: str | None) -> str:
    """ "300 Nothing to do" -> "300"; anything without a 100-799 code -> "unknown"."""
    match = _CODE.match(message or "")
    return f"{match.group(1)}00" if match else UNKNOWN


@dataclass(frozen=True)
class Lifecycle:
    message: Message
    shutdown_message: str | None
    shutdown_time: int | None

    @property
    def family(self) -> str:
        return code_family(self.shutdown_message)

    @property
    def start(self) -> int | None:
        start: int | None = self.message.get("started_time") or self.message.get("created_time")
        return start

    @property
    def end(self) -> int:
        m = self.message
        return self.shutdown_time or m.get("heartbeat_time") or m.time_received

    @property
    def duration(self) -> int | None:
        start = self.start
        return None if start is None else max(self.end - start, 0)

    @property
    def efficiency(self) -> float | None:
        """CPU seconds over allocated processor-seconds, as a percentage."""
        cpu, procs, dur = (
            self.message.get("cpu_seconds"),
            self.message.get("num_processors"),
            self.duration,
        )
        if cpu is None or not procs or not dur:
            return None
        share: float = 100.0 * cpu / (dur * procs)
        return share


def fill_outcomes(machines: Sequence[Message], known: Sequence[Shutdown]) -> list[Lifecycle]:
    """Each finished machine with its shutdown message: its own, else the machinetype
    outcome for the same factory and machine name close to its end. Slot names repeat on
    Vac factories, hence the time window rather than the name alone."""
    by_name: dict[tuple[str, str], list[Shutdown]] = {}
    for o in sorted(known, key=lambda o: o.time):
        by_name.setdefault((o.factory, o.machine), []).append(o)
    times = {name: [o.time for o in found] for name, found in by_name.items()}
    out = []
    for m in machines:
        text, when = m.get("shutdown_message"), m.get("shutdown_time")
        if not text:
            name = (m.factory, m.machine or "")
            match = _closest(by_name.get(name, []), times.get(name, []), m)
            if match is not None:
                text, when = match.message, match.time
        out.append(Lifecycle(m, text, when))
    return out


def earliest_start(machines: Iterable[Message], default: int) -> int:
    """The earliest time an outcome of these machines can have (see `_closest`); a machine
    without created or started time could have any, hence `default`."""
    return min(
        (m.get("created_time") or m.get("started_time") or default for m in machines),
        default=default,
    )


def _closest(candidates: Sequence[Shutdown], times: Sequence[int], m: Message) -> Shutdown | None:
    """The outcome between the machine's start and an hour after its message that is
    closest in time to the message (the later one on a tie). `candidates` are in time
    order, `times` their times: a slot name has a month of outcomes on a busy factory."""
    start = m.get("created_time") or m.get("started_time") or 0
    lo = bisect_left(times, start)
    hi = bisect_right(times, m.time_received + OUTCOME_SLACK)
    if lo >= hi:
        return None
    # Within [lo, hi) the closest time is next to where the message's own time would go.
    at = min(max(bisect_left(times, m.time_received), lo), hi - 1)
    before = max(at - 1, lo)
    received = m.time_received
    if abs(times[before] - received) < abs(times[at] - received):
        return candidates[before]
    return candidates[at]


def family_counts(lifecycles: Iterable[Lifecycle]) -> dict[str, int]:
    counts = Counter(lc.family for lc in lifecycles)
    return {f: counts.get(f, 0) for f in (*FAMILIES, UNKNOWN)}


def duration_histogram(durations: Iterable[int | None]) -> tuple[list[str], list[int]]:
    """Counts per duration band; labels like "1-6h" and a last open band "48h+"."""
    edges = DURATION_EDGES
    counts = [0] * len(edges)
    for d in durations:
        if d is None:
            continue
        band = max(i for i, e in enumerate(edges) if d >= e)
        counts[band] += 1
    labels = [f"{_h(a)}-{_h(b)}" for a, b in pairwise(edges)]
    labels.append(f"{_h(edges[-1])}+")
    return labels, counts


def _h(seconds: int) -> str:
    return f"{seconds // 60}m" if seconds < 3600 else f"{seconds // 3600}h"
