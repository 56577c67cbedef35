"""Per-group chart sums for buckets narrower than the carry window, in one pass over time.

Summing in SQL would need per-sender grouping on four text columns, which SQLite does
slowly, and the carry-forward needs each sender's newest average anyway. Here the samples
come ordered by bucket, an integer the database sorts cheaply, and are handed to the shared
`Sweep` bucket by bucket, one sweep per metric: a chart bucket's total is a sum over the
senders live in it, never a Python object per sender and bucket.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import connection

from vacmon.store.base import ENTITY, ChartQuery, Series
from vacmon.store.embedded.grouped import sender_samples
from vacmon.store.embedded.summing import sample_start
from vacmon.store.series import Sweep, bucket_starts


def carried_series(q: ChartQuery) -> dict[str, Series]:
    """The chart `q`, each sender's bucket averages carried forward by `Sweep`."""
    read_from = sample_start(q.since, q.stale_seconds, q.interval)
    samples, params = sender_samples(q, read_from)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({samples}) parts ORDER BY b", params)
        rows = cursor.fetchall()
    times = bucket_starts(q.since, q.until, q.interval)
    sweeps = [Sweep(times, q.stale_seconds) for _ in q.metrics]
    width = len(ENTITY[q.message_type])
    groups = _newest_groups(rows, width, len(q.metrics))
    for bucket, together in groupby(rows, key=itemgetter(width + 1)):
        for sweep in sweeps:
            sweep.record_until(bucket - 1)
        _take(sweeps, groups, bucket + q.interval - 1, together, width)
    return {m: sweep.series(q.interval) for m, sweep in zip(q.metrics, sweeps, strict=True)}


Groups = list[dict[tuple[Any, ...], str]]


def _newest_groups(rows: list[tuple[Any, ...]], width: int, metric_count: int) -> Groups:
    """Per metric, each sender's group in the newest bucket where it sent that metric: a
    sender whose VO changed in the range is charted under its newest VO throughout, as
    Elasticsearch charts it (only buckets summed in the database follow each bucket's)."""
    groups: Groups = [{} for _ in range(metric_count)]
    for row in rows:  # oldest bucket first
        sender, group = row[:width], row[width] or "unknown"
        for i in range(metric_count):
            if row[width + 2 + i] is not None:
                groups[i][sender] = group
    return groups


def _take(
    sweeps: list[Sweep], groups: Groups, when: int, rows: Iterable[tuple[Any, ...]], width: int
) -> None:
    """The sample rows (entity..., grp, b, s0..sk, n) of one bucket, as one average per
    sender and metric. A sender has one row per bucket unless it is read from raw messages
    or changed VO; those few are folded into one first."""
    one: dict[tuple[Any, ...], Sequence[Any]] = {}
    more: dict[tuple[Any, ...], list[Sequence[Any]]] = {}
    for row in rows:
        sender = row[:width]
        if sender in one:
            more.setdefault(sender, [one[sender]]).append(row)
        else:
            one[sender] = row
    for sender, together in more.items():
        one[sender] = _fold(together, width, len(sweeps))
    for i, sweep in enumerate(sweeps):
        column, group_of = width + 2 + i, groups[i]
        for sender, sample in one.items():
            total = sample[column]
            if total is None:
                continue
            # A folded row (a list) carries a count per metric.
            count = sample[-1] if type(sample) is tuple else sample[-1][i]
            sweep.take(when, sender, group_of[sender], total / count)


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
