"""What the factory page shows of a factory's health history: heartbeat ages in minutes per
chart bucket and the versions seen, from the newest factory_status messages of the range
(`Reader.heartbeats`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vacmon.store.base import Reader, Scope
from vacmon.store.heartbeats import FactoryHealth, by_last_seen, widen

HEARTBEATS = {
    "Factory": "factory_heartbeat_time",
    "Responder": "responder_heartbeat_time",
    "MJF": "mjf_heartbeat_time",
    "Metadata": "metadata_heartbeat_time",
}
VERSIONS = {"Daemon": "daemon_version", "OS": "os_issue"}


@dataclass(frozen=True)
class Summary:
    """Small enough to cache, unlike the thousands of messages it is computed from."""

    ages: dict[str, list[float | None]]  # label -> worst age in minutes per bucket
    versions: dict[str, list[tuple[str, int, int]]]  # label -> (value, first, last seen)
    truncated: bool


def read(
    reader: Reader,
    scope: Scope,
    since: int,
    until: int,
    interval: int,
    times: Sequence[int],
    limit: int,
) -> Summary:
    """The summary of the newest `limit` factory_status messages received in [since, until]."""
    found = reader.heartbeats(since=since, until=until, interval=interval, scope=scope, limit=limit)
    return summarise(found, times, limit)


def summarise(found: FactoryHealth, times: Sequence[int], limit: int) -> Summary:
    """`found` on the chart's buckets; None where no message reported a heartbeat.
    Truncated when `found` came from the `limit` newest messages of the range."""
    index = {t: i for i, t in enumerate(times)}
    ages: dict[str, list[float | None]] = {}
    for label, field in HEARTBEATS.items():
        row: list[float | None] = [None] * len(times)
        for bucket, age in found.ages.get(field, {}).items():
            i = index.get(bucket)
            if i is not None:
                row[i] = age / 60
        if any(v is not None for v in row):
            ages[label] = row
    return Summary(
        ages=ages,
        versions={label: found.versions.get(field, []) for label, field in VERSIONS.items()},
        truncated=found.messages >= limit,
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


def _spans(seen: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    spans: dict[str, tuple[int, int]] = {}
    for value, first, last in seen:
        widen(spans, value, first, last)
    return by_last_seen(spans)
