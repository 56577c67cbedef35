"""A factory's health over time from its raw messages: heartbeat ages per bucket. Pure.

The heartbeat times are not chartable store metrics (they are timestamps, not levels), so
they are turned into ages here: age = time_sent - heartbeat, the staleness the factory itself
saw when it sent the message. 0 means "unknown" on the wire (spec 1.1) and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from factories.messages import Message

HEARTBEATS = {
    "Factory": "factory_heartbeat_time",
    "Responder": "responder_heartbeat_time",
    "MJF": "mjf_heartbeat_time",
    "Metadata": "metadata_heartbeat_time",
}
VERSIONS = {"Daemon": "daemon_version", "OS": "os_issue"}
# What is read of the factory messages behind these charts.
FIELDS = (*HEARTBEATS.values(), *VERSIONS.values())


def heartbeat_ages(
    messages: Iterable[Message], times: Sequence[int], interval: int
) -> dict[str, list[float | None]]:
    """Worst (largest) age in minutes per bucket and heartbeat; None where no message."""
    index = {t: i for i, t in enumerate(times)}
    out: dict[str, list[float | None]] = {name: [None] * len(times) for name in HEARTBEATS}
    for m in messages:
        i = index.get(m.time_received - m.time_received % interval)
        if i is None:
            continue
        for name, field in HEARTBEATS.items():
            beat = m.get(field)
            if not beat:
                continue
            age = max(m.time_sent - beat, 0) / 60
            current = out[name][i]
            out[name][i] = age if current is None else max(current, age)
    return {name: row for name, row in out.items() if any(v is not None for v in row)}


def versions_seen(messages: Iterable[Message], field: str) -> list[tuple[str, int, int]]:
    """(value, first seen, last seen) of a text field such as daemon_version, newest last."""
    return _spans([(m.get(field), m.time_received, m.time_received) for m in messages])


@dataclass(frozen=True)
class Summary:
    """What the factory page shows of its health history: small enough to cache, unlike
    the thousands of messages it is computed from."""

    ages: dict[str, list[float | None]]
    versions: dict[str, list[tuple[str, int, int]]]
    truncated: bool


def summarise(
    messages: Sequence[Message], times: Sequence[int], interval: int, limit: int
) -> Summary:
    return Summary(
        ages=heartbeat_ages(messages, times, interval),
        versions={label: versions_seen(messages, f) for label, f in VERSIONS.items()},
        truncated=len(messages) >= limit,
    )


def merge(a: Summary, b: Summary) -> Summary:
    """Two summaries over the same bucket times (say, the settled and the newest part)."""
    ages = {}
    for name in HEARTBEATS:
        rows = [r for r in (a.ages.get(name), b.ages.get(name)) if r is not None]
        if rows:
            ages[name] = [_worst(*cells) for cells in zip(*rows, strict=True)]
    return Summary(
        ages=ages,
        versions={label: _spans(a.versions[label] + b.versions[label]) for label in VERSIONS},
        truncated=a.truncated or b.truncated,
    )


def _worst(*cells: float | None) -> float | None:
    present = [c for c in cells if c is not None]
    return max(present) if present else None


def _spans(seen: list[tuple[str | None, int, int]]) -> list[tuple[str, int, int]]:
    spans: dict[str, tuple[int, int]] = {}
    for value, first, last in seen:
        if not value:
            continue
        a, b = spans.get(value, (first, last))
        spans[value] = (min(a, first), max(b, last))
    return sorted(((v, a, b) for v, (a, b) in spans.items()), key=lambda x: x[2])
