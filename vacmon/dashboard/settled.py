"""Reading a range in two parts: the settled past, cached, and the newest buckets, fresh.

Buckets that ended a few minutes ago cannot change any more (the listener commits within
seconds and the rollups wait a minute), so what the store says about them is cached until
the range has moved past them. Only the newest bucket (the newest two in the first minutes
of a bucket) is read on every refresh.
A relative range moves by one bucket per interval, so its settled part keeps one cache key
for a whole interval (15 minutes for a day, 6 hours for a month).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings

from factories.messages import Message
from vacmon.dashboard import memo
from vacmon.store import ChartQuery, Scope, Series, get_store
from vacmon.timerange import TimeRange

T = TypeVar("T")


# How long after a bucket ends nothing more can arrive for it.
SETTLE_SECONDS = 300


def split_point(r: TimeRange) -> int | None:
    """Start of the newest bucket once the one before has settled, else of the one before;
    None when the range is too short to split."""
    newest = r.until - r.until % r.interval
    split = newest if r.until - newest > SETTLE_SECONDS else newest - r.interval
    return split if split > r.since - r.since % r.interval else None


def remember(parts: tuple[object, ...], interval: int, compute: Callable[[], T]) -> T:
    # Kept until the range has moved on by two buckets, and at most a day.
    return memo.remember(memo.digest("dash:settled:", parts), min(2 * interval, 86400), compute)


def chart_series_many(
    message_type: str, metrics: tuple[str, ...], group_by: str, scope: Scope, r: TimeRange
) -> dict[str, Series]:
    """A series per metric, read together: the settled part of the range (cached) and the
    newest buckets are charted apart, each carrying its senders in from before it, and
    joined; the result is `vacmon.api.selectors.series` of each metric."""
    store = get_store()

    def read(since: int, until: int) -> dict[str, Series]:
        query = ChartQuery(
            message_type,
            metrics,
            group_by=group_by,
            since=since,
            until=until,
            interval=r.interval,
            scope=scope,
            stale_seconds=settings.VACMON_STALE_SECONDS,
        )
        return store.chart(query)

    split = split_point(r)
    if split is None:
        return read(r.since, r.until)
    first = r.since - r.since % r.interval
    old, new = store.together(
        [
            lambda: remember(
                ("chart", message_type, metrics, group_by, scope, first, split, r.interval),
                r.interval,
                lambda: read(first, split - 1),
            ),
            lambda: read(split, r.until),
        ]
    )
    return {m: join(old[m], new[m]) for m in metrics}


def join(old: Series, new: Series) -> Series:
    """The series of a range from those of its settled part and of the buckets after it."""
    times = old.times + new.times
    values = {}
    for group in sorted(old.values.keys() | new.values.keys()):
        before = old.values.get(group) or [None] * len(old.times)
        after = new.values.get(group) or [None] * len(new.times)
        values[group] = before + after
    return Series(start=old.start, interval=old.interval, times=times, values=values)


def split_compute(
    key: tuple[object, ...],
    r: TimeRange,
    compute: Callable[[int, int], T],
    merge: Callable[[T, T], T],
) -> T:
    """`compute(since, until)` over the range, its settled part cached under `key`, then
    `merge(settled, newest)`."""
    split = split_point(r)
    if split is None:
        return compute(r.since, r.until)
    old, new = get_store().together(
        [
            lambda: remember(
                (*key, r.since - r.since % r.interval, split),
                r.interval,
                lambda: compute(r.since, split - 1),
            ),
            lambda: compute(split, r.until),
        ]
    )
    return merge(old, new)


def split_history(
    message_type: str, scope: Scope, r: TimeRange, limit: int, fields: tuple[str, ...]
) -> list[Message]:
    """The newest `limit` raw messages of the range, newest first, with just `fields`."""
    store = get_store()

    def read(since: int, until: int) -> list[Message]:
        return store.history(
            message_type, since=since, until=until, scope=scope, limit=limit, fields=fields
        )

    def merge(old: list[Message], new: list[Message]) -> list[Message]:
        return (new + [m for m in old if m.time_received >= r.since])[:limit]

    return split_compute(("history", message_type, scope, limit, fields), r, read, merge)
