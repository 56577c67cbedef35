"""Turn per-sender bucket averages into chart series (pure, shared by every backend).

Semantics (fixing spec vac-protocol.md 9.8): a sender's last value is carried forward into
later empty buckets until it is `stale_seconds` old, then it stops counting; a group with no
contributing sender in a bucket is a gap (None), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable

from vacmon.store.base import EntityBuckets, Series


def sender_buckets(
    group: str, entity: tuple[str, ...], averages: dict[int, float], first: int, interval: int
) -> EntityBuckets:
    """One sender's bucket averages from `first` on; its newest one before `first` becomes
    `last_before`, timed at that bucket's end (what a backend reads for carrying in)."""
    before = [b for b in averages if b < first]
    last = None
    if before:
        newest = max(before)
        last = (newest + interval - 1, averages[newest])
    inside = {b: v for b, v in averages.items() if b >= first}
    return EntityBuckets(group=group, entity=entity, averages=inside, last_before=last)


def carry_reach(stale_seconds: int, interval: int) -> int:
    """How many buckets after its own a bucket average still counts in: those starting at
    most `stale_seconds` after the bucket's end, its sample time."""
    return (stale_seconds + interval - 1) // interval


def bucket_starts(since: int, until: int, interval: int) -> list[int]:
    first = since - since % interval
    return list(range(first, until + 1, interval)) or [first]


def combine(
    entities: Iterable[EntityBuckets],
    *,
    since: int,
    until: int,
    interval: int,
    stale_seconds: int,
) -> Series:
    times = bucket_starts(since, until, interval)
    index = {t: i for i, t in enumerate(times)}
    values: dict[str, list[float | None]] = {}
    for entity in entities:
        row = values.setdefault(entity.group, [None] * len(times))
        _add_entity(row, entity, times, index, interval, stale_seconds)
    return Series(
        start=times[0], interval=interval, times=times, values=dict(sorted(values.items()))
    )


def _add_entity(
    row: list[float | None],
    entity: EntityBuckets,
    times: list[int],
    index: dict[int, int],
    interval: int,
    stale_seconds: int,
) -> None:
    """Add one sender into its group's row: each bucket average, then (if it carries) that
    value into the following empty buckets while it is at most `stale_seconds` old. The
    sample time of a bucket average is taken as the bucket's end, the latest moment it can
    describe. Walks the sender's samples, not every bucket: a fleet has thousands."""
    n = len(times)
    points = sorted((index[b], v) for b, v in entity.averages.items() if b in index)
    reach = carry_reach(stale_seconds, interval) if entity.carry else 0
    if entity.carry and entity.last_before is not None:
        when, value = entity.last_before
        end = points[0][0] if points else n
        j = 0
        while j < end and times[j] - when <= stale_seconds:
            row[j] = (row[j] or 0.0) + value
            j += 1
    for k, (i, value) in enumerate(points):
        following = points[k + 1][0] if k + 1 < len(points) else n
        for j in range(i, min(following, i + 1 + reach)):
            row[j] = (row[j] or 0.0) + value


def total(series: Series) -> list[float | None]:
    """The sum over groups per bucket, a gap where no group has data."""
    out: list[float | None] = []
    for i in range(len(series.times)):
        present = [row[i] for row in series.values.values() if row[i] is not None]
        out.append(sum(v for v in present if v is not None) if present else None)
    return out
