"""Turn per-sender bucket averages into chart series (pure, shared by every backend).

Semantics (fixing spec vac-protocol.md 9.8): a sender's last value is carried forward into
later empty buckets until it is `stale_seconds` old, then it stops counting; a group with no
contributing sender in a bucket is a gap (None), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable

from vacmon.store.base import EntityBuckets, Series


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
    values: dict[str, list[float | None]] = {}
    for entity in entities:
        row = values.setdefault(entity.group, [None] * len(times))
        _add_entity(row, entity, times, interval, stale_seconds)
    return Series(
        start=times[0], interval=interval, times=times, values=dict(sorted(values.items()))
    )


def _add_entity(
    row: list[float | None],
    entity: EntityBuckets,
    times: list[int],
    interval: int,
    stale_seconds: int,
) -> None:
    last = entity.last_before
    for i, start in enumerate(times):
        value = entity.averages.get(start)
        if value is not None:
            # The sample time of a bucket average is taken as the bucket's end, the
            # latest moment it can describe.
            last = (start + interval - 1, value)
        elif not entity.carry or last is None or start - last[0] > stale_seconds:
            continue
        else:
            value = last[1]
        row[i] = (row[i] or 0.0) + value


def total(series: Series) -> list[float | None]:
    """The sum over groups per bucket, a gap where no group has data."""
    out: list[float | None] = []
    for i in range(len(series.times)):
        present = [row[i] for row in series.values.values() if row[i] is not None]
        out.append(sum(v for v in present if v is not None) if present else None)
    return out
