"""A factory's health history as its messages report it: heartbeat ages per bucket and the
daemon and OS versions seen. Pure: no database.

The heartbeat times are timestamps, not levels, so they are not chartable metrics; they are
turned into ages, age = time_sent - heartbeat: the staleness the factory itself saw when it
sent the message (never negative). 0 means "unknown" on the wire (spec 1.1) and is skipped.
Backends compute `FactoryHealth` from a factory's newest messages of a range; the embedded
store does it in SQL, Elasticsearch with `from_messages` over its history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from factories.messages import Message

HEARTBEAT_FIELDS = (
    "factory_heartbeat_time",
    "responder_heartbeat_time",
    "mjf_heartbeat_time",
    "metadata_heartbeat_time",
)
VERSION_FIELDS = ("daemon_version", "os_issue")
# What is read of each message.
FIELDS = (*HEARTBEAT_FIELDS, *VERSION_FIELDS)


@dataclass(frozen=True)
class FactoryHealth:
    # heartbeat field -> bucket start -> the largest age in seconds reported in it
    ages: dict[str, dict[int, int]]
    # version field -> (value, first seen, last seen), the most recently seen last
    versions: dict[str, list[tuple[str, int, int]]]
    messages: int  # how many messages it was computed from


def from_messages(messages: Iterable[Message], interval: int) -> FactoryHealth:
    ages: dict[str, dict[int, int]] = {f: {} for f in HEARTBEAT_FIELDS}
    seen: dict[str, dict[str, tuple[int, int]]] = {f: {} for f in VERSION_FIELDS}
    count = 0
    for m in messages:
        count += 1
        bucket = m.time_received - m.time_received % interval
        for field in HEARTBEAT_FIELDS:
            beat = m.get(field)
            if beat:
                age = max(m.time_sent - beat, 0)
                row = ages[field]
                row[bucket] = max(row.get(bucket, age), age)
        for field in VERSION_FIELDS:
            value = m.get(field)
            if value:
                first, last = seen[field].get(value, (m.time_received, m.time_received))
                seen[field][value] = (min(first, m.time_received), max(last, m.time_received))
    return FactoryHealth(
        ages={f: row for f, row in ages.items() if row},
        versions={f: by_last_seen(by_value) for f, by_value in seen.items()},
        messages=count,
    )


def by_last_seen(spans: dict[str, tuple[int, int]]) -> list[tuple[str, int, int]]:
    """(value, first, last) ordered by when each was last seen, then by value."""
    return sorted(((v, a, b) for v, (a, b) in spans.items()), key=lambda s: (s[2], s[0]))
