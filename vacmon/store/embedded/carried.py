"""Per-group chart sums for buckets narrower than the carry window, in one pass over time.

`combine` carries each sender's last bucket average forward, so the embedded store used to
hand every sender's buckets to Python as objects (800 machinetype senders x 14 buckets
for the last hour) and `combine` walked them one sender at a time. Summing in SQL instead
needs per-sender grouping on four text columns, which SQLite does slowly. Here the samples
come ordered by bucket, an integer the database sorts cheaply, and each sender's newest
average is kept as it arrives, so a chart bucket's total is a sum over the senders live in
it. The result is what `combine` makes of the per-sender buckets (tests/store/test_carried).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import connection

from vacmon.store.base import ENTITY, EntityBuckets, Scope
from vacmon.store.embedded.grouped import Sums, as_groups, sender_samples
from vacmon.store.embedded.summing import sample_start
from vacmon.store.series import carry_reach


def carried_group_buckets(
    message_type: str,
    metrics: tuple[str, ...],
    group_by: str,
    since: int,
    until: int,
    interval: int,
    scope: Scope,
    *,
    carry: int,
) -> dict[str, list[EntityBuckets]]:
    """Per-group sums of sender bucket averages, each sender carried forward into later
    buckets while its newest average is at most `carry` seconds old (as `combine` counts
    it: a bucket average is timed at the bucket's end)."""
    read_from = sample_start(since, carry, interval)
    samples, params = sender_samples(
        message_type, metrics, group_by, read_from, until, interval, scope
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({samples}) parts ORDER BY b", params)
        rows = cursor.fetchall()
    first = since - since % interval
    reach = carry_reach(carry, interval)
    sweep = _Sweep(len(metrics), len(ENTITY[message_type]), reach, interval, first)
    for bucket, together in groupby(rows, key=itemgetter(sweep.width + 1)):
        sweep.emit_until(bucket - 1)
        sweep.take(bucket, together)
    sweep.emit_until(until)
    sums: Sums = {metric: sweep.totals[i] for i, metric in enumerate(metrics)}
    return as_groups(sums)


class _Sweep:
    """Walks the buckets in time order. For each metric, `live[i][group][sender]` is the
    sender's newest bucket average while it still counts, `newest[i][sender]` the bucket
    of that average and the group's dict holding it, and `set_at[bucket]` the averages a
    bucket set, oldest bucket first, so those that have stopped counting are found from
    the front."""

    def __init__(
        self, metric_count: int, width: int, reach: int, interval: int, first: int
    ) -> None:
        self.width = width
        self.metric_count = metric_count
        self.interval = interval
        self.lifetime = (reach + 1) * interval
        self.live: list[defaultdict[str, dict[tuple[Any, ...], float]]] = [
            defaultdict(dict) for _ in range(metric_count)
        ]
        self.newest: list[dict[tuple[Any, ...], tuple[int, dict[tuple[Any, ...], float]]]] = [
            {} for _ in range(metric_count)
        ]
        self.set_at: dict[int, list[tuple[int, tuple[Any, ...]]]] = {}
        self.totals: list[dict[str, dict[int, float]]] = [{} for _ in range(metric_count)]
        self.next = first  # the first chart bucket not yet recorded

    def take(self, bucket: int, rows: Iterable[tuple[Any, ...]]) -> None:
        """The sample rows (entity..., grp, b, s0..sk, n) of one bucket. A sender has one
        row per bucket unless it is read from raw messages or changed VO; those few are
        folded into one first."""
        width = self.width
        one: dict[tuple[Any, ...], Sequence[Any]] = {}
        more: dict[tuple[Any, ...], list[Sequence[Any]]] = {}
        for row in rows:
            sender = row[:width]
            if sender in one:
                more.setdefault(sender, [one[sender]]).append(row)
            else:
                one[sender] = row
        for sender, together in more.items():
            one[sender] = _fold(together, width, self.metric_count)
        changed = self.set_at[bucket] = []
        for i in range(self.metric_count):
            live, newest, column = self.live[i], self.newest[i], width + 2 + i
            for sender, sample in one.items():
                total = sample[column]
                if total is None:
                    continue
                # A folded row (a list) carries a count per metric.
                count = sample[-1] if type(sample) is tuple else sample[-1][i]
                before = newest.get(sender)
                if before is not None:
                    del before[1][sender]
                holder = live[sample[width] or "unknown"]
                holder[sender] = total / count
                newest[sender] = (bucket, holder)
                changed.append((i, sender))

    def emit_until(self, last: int) -> None:
        """Record the totals of the chart buckets not yet recorded, up to `last`."""
        while self.next <= last:
            self._expire(self.next - self.lifetime)
            for i, groups in enumerate(self.live):
                for group, senders in groups.items():
                    if senders:
                        self.totals[i].setdefault(group, {})[self.next] = sum(senders.values())
            self.next += self.interval

    def _expire(self, oldest_gone: int) -> None:
        """Drop the averages set at or before bucket `oldest_gone` that are still newest."""
        while self.set_at:
            bucket = next(iter(self.set_at))
            if bucket > oldest_gone:
                return
            for i, sender in self.set_at.pop(bucket):
                newest = self.newest[i].get(sender)
                if newest is not None and newest[0] == bucket:
                    del newest[1][sender]
                    del self.newest[i][sender]


def _fold(rows: list[Sequence[Any]], width: int, metric_count: int) -> list[Any]:
    """Several rows of one sender and bucket as one: the group of the last row that has
    one, the sums, and per metric the count of the samples that carried it (a list where
    a row has one count for all)."""
    group = next((r[width] for r in reversed(rows) if r[width] is not None), None)
    sums: list[float | None] = [None] * metric_count
    counts = [0] * metric_count
    for row in rows:
        for i in range(metric_count):
            value = row[width + 2 + i]
            if value is not None:
                sums[i] = (sums[i] or 0.0) + value
                counts[i] += row[-1]
    return [*rows[-1][:width], group, rows[-1][width + 1], *sums, counts]
