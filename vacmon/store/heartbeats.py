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
from vacmon.store.ahead import ahead

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


class Tally:
    """Builds a FactoryHealth from whatever a backend reads: single messages or rows that
    already sum several (a bucket's worst age, a version's first and last sighting)."""

    def __init__(self) -> None:
        self.ages: dict[str, dict[int, int]] = {f: {} for f in HEARTBEAT_FIELDS}
        self.seen: dict[str, dict[str, tuple[int, int]]] = {f: {} for f in VERSION_FIELDS}
        self.messages = 0

    def age(self, field: str, bucket: int, age: int) -> None:
        row = self.ages[field]
        row[bucket] = max(row.get(bucket, age), age)

    def version(self, field: str, value: str | None, first: int, last: int) -> None:
        if value:
            widen(self.seen[field], value, first, last)

    def result(self) -> FactoryHealth:
        return FactoryHealth(
            ages={f: row for f, row in self.ages.items() if row},
            versions={f: by_last_seen(by_value) for f, by_value in self.seen.items()},
            messages=self.messages,
        )


def from_messages(messages: Iterable[Message], interval: int) -> FactoryHealth:
    tally = Tally()
    for m in messages:
        tally.messages += 1
        bucket = m.time_received - m.time_received % interval
        # A time_sent from beyond the skew window ahead would chart an age of years.
        for field in HEARTBEAT_FIELDS if not ahead(m) else ():
            beat = m.get(field)
            if beat:
                tally.age(field, bucket, max(m.time_sent - beat, 0))
        for field in VERSION_FIELDS:
            tally.version(field, m.get(field), m.time_received, m.time_received)
    return tally.result()


def widen(spans: dict[str, tuple[int, int]], value: str, first: int, last: int) -> None:
    """Record that `value` was seen from `first` to `last`, widening what was known."""
    a, b = spans.get(value, (first, last))
    spans[value] = (min(a, first), max(b, last))


def by_last_seen(spans: dict[str, tuple[int, int]]) -> list[tuple[str, int, int]]:
    """(value, first, last) ordered by when each was last seen, then by value."""
    return sorted(((v, a, b) for v, (a, b) in spans.items()), key=lambda s: (s[2], s[0]))
