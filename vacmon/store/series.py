"""Turn sender samples into chart series (pure, shared by every backend).

Semantics (fixing spec vac-protocol.md 9.8): a sender's last value is carried forward into
later empty buckets until it is `stale_seconds` old, then it stops counting; a group with no
contributing sender in a bucket is a gap (None), never 0.

`Sweep` is the one implementation of that rule. The embedded store feeds it sample rows in
bucket order straight from the database; `combine` feeds it per-sender `EntityBuckets`
(what the Elasticsearch backend reads).
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Mapping

from vacmon.store.base import EntityBuckets, Series


def sender_buckets(
    group: str, entity: tuple[str, ...], averages: dict[int, float], first: int, interval: int
) -> EntityBuckets:
    """One sender's bucket averages from `first` on; its newest one before `first` becomes
    `last_before`, timed at that bucket's end (what a backend reads for carrying in)."""
    # One pass: a narrow chart calls this for every sender and metric (4,000 times for the
    # overview's hour).
    inside = {}
    newest = None
    for bucket, value in averages.items():
        if bucket >= first:
            inside[bucket] = value
        elif newest is None or bucket > newest:
            newest = bucket
    last = None if newest is None else (newest + interval - 1, averages[newest])
    return EntityBuckets(group=group, entity=entity, averages=inside, last_before=last)


def bucket_starts(since: int, until: int, interval: int) -> list[int]:
    first = since - since % interval
    return list(range(first, until + 1, interval)) or [first]


class Sweep:
    """Walks a chart's buckets in time order, keeping each sender's newest value while it
    counts, and records per group and bucket the sum over the senders live in it.

    A value taken with `take(when, ...)` counts from the next bucket recorded on, while
    `bucket start - when <= stale_seconds`; a bucket average is timed at its bucket's end,
    the latest moment it can describe. Values must be taken in order of `when`, so those
    that have stopped counting are found from the front of `taken`. A sender's newer value
    replaces its older one, also when its group changed.
    """

    def __init__(self, times: list[int], stale_seconds: int) -> None:
        self.times = times
        self.stale = stale_seconds
        self.live: defaultdict[str, dict[Hashable, float]] = defaultdict(dict)
        # sender -> (when its newest value was taken, the group's dict holding it)
        self.newest: dict[Hashable, tuple[int, dict[Hashable, float]]] = {}
        # (when, the senders taken then), in the order taken
        self.taken: deque[tuple[int, list[Hashable]]] = deque()
        self.group_of: dict[Hashable, str] = {}
        self.regrouped: set[Hashable] = set()  # senders seen under more than one group
        self.rows: dict[str, list[float | None]] = {}
        self.next = 0  # index of the first bucket not yet recorded

    def take(self, when: int, samples: Iterable[tuple[Hashable, str, float]]) -> None:
        """(sender, group, value) of senders sampled at `when`. One call per bucket, not
        per sample: a fleet's hour is a quarter of a million samples."""
        newest, live, group_of = self.newest, self.live, self.group_of
        senders = []
        for sender, group, value in samples:
            before = newest.get(sender)
            if before is not None:
                del before[1][sender]
            holder = live[group]
            holder[sender] = value
            newest[sender] = (when, holder)
            senders.append(sender)
            seen = group_of.get(sender)
            if seen != group:
                if seen is not None:
                    self.regrouped.add(sender)
                group_of[sender] = group
        self.taken.append((when, senders))

    def record_until(self, last: int) -> None:
        """Record the sums of the buckets not yet recorded that start at or before `last`."""
        times, count = self.times, len(self.times)
        while self.next < count and times[self.next] <= last:
            start = times[self.next]
            self._expire(start - self.stale)
            for group, senders in self.live.items():
                if senders:
                    row = self.rows.get(group)
                    if row is None:
                        row = self.rows[group] = [None] * count
                    row[self.next] = _sum(senders.values())
            self.next += 1

    def _expire(self, oldest_counting: int) -> None:
        """Drop the values taken before `oldest_counting` that are still a sender's newest."""
        taken, newest = self.taken, self.newest
        while taken and taken[0][0] < oldest_counting:
            when, senders = taken.popleft()
            for sender in senders:
                found = newest.get(sender)
                if found is not None and found[0] == when:
                    del found[1][sender]
                    del newest[sender]

    def series(self, interval: int) -> Series:
        self.record_until(self.times[-1])
        return Series(
            start=self.times[0],
            interval=interval,
            times=self.times,
            values=dict(sorted(self.rows.items())),
        )


def _sum(values: Iterable[float]) -> float:
    """The correctly rounded sum, which does not depend on the order senders arrived in;
    stored rows beyond the parse bounds may overflow it, and then the sum is infinite."""
    try:
        return math.fsum(values)
    except OverflowError:
        return sum(values)


def combine(
    entities: Iterable[EntityBuckets],
    *,
    since: int,
    until: int,
    interval: int,
    stale_seconds: int,
) -> Series:
    """The chart of per-sender bucket averages: each `EntityBuckets` is one sender (two with
    the same entity count twice), and every sender's group has a row."""
    times = bucket_starts(since, until, interval)
    sweep = Sweep(times, stale_seconds)
    # The values carried in, and those of each bucket, by the time they are taken at: one
    # `take` per time, in time order, senders in their order within it.
    carried_in: defaultdict[int, list[tuple[int, str, float]]] = defaultdict(list)
    by_bucket: defaultdict[int, list[tuple[int, str, float]]] = defaultdict(list)
    first, last = times[0], times[-1]
    for sender, entity in enumerate(entities):
        sweep.rows.setdefault(entity.group, [None] * len(times))
        if entity.last_before is not None:
            when, value = entity.last_before
            carried_in[when].append((sender, entity.group, value))
        for bucket, value in entity.averages.items():
            if first <= bucket <= last and (bucket - first) % interval == 0:
                by_bucket[bucket].append((sender, entity.group, value))
    for when in sorted(carried_in):
        sweep.take(when, carried_in[when])
    for bucket in sorted(by_bucket):
        sweep.record_until(bucket - 1)
        sweep.take(bucket + interval - 1, by_bucket[bucket])
    return sweep.series(interval)


def group_series(
    groups: Mapping[str, Mapping[int, float]], *, since: int, until: int, interval: int
) -> Series:
    """The chart of sums already made per group and bucket (buckets wide enough that
    nothing is carried): a row for each group with a bucket in the range, gaps elsewhere."""
    times = bucket_starts(since, until, interval)
    index = {t: i for i, t in enumerate(times)}
    values: dict[str, list[float | None]] = {}
    for group, by_bucket in groups.items():
        inside = [(index[b], v) for b, v in by_bucket.items() if b in index]
        if not inside:
            continue
        row: list[float | None] = [None] * len(times)
        for i, value in inside:
            row[i] = value
        values[group] = row
    return Series(
        start=times[0], interval=interval, times=times, values=dict(sorted(values.items()))
    )


def total(series: Series) -> list[float | None]:
    """The sum over groups per bucket, a gap where no group has data."""
    out: list[float | None] = []
    for i in range(len(series.times)):
        present = [row[i] for row in series.values.values() if row[i] is not None]
        out.append(sum(v for v in present if v is not None) if present else None)
    return out
