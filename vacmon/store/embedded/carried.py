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

Sample = Sequence[Any]
Senders = dict[tuple[Any, ...], Sample]
Groups = list[dict[tuple[Any, ...], str]]


def carried_series(q: ChartQuery) -> dict[str, Series]:
    """The chart `q`, each sender's bucket averages carried forward by `Sweep`."""
    read_from = sample_start(q.since, q.stale_seconds, q.interval)
    samples, params = sender_samples(q, read_from)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({samples}) parts ORDER BY b", params)
        rows = cursor.fetchall()
    times = bucket_starts(q.since, q.until, q.interval)
    width, count = len(ENTITY[q.message_type]), len(q.metrics)
    buckets = [
        (bucket, _one_per_sender(together, width, count))
        for bucket, together in groupby(rows, key=itemgetter(width + 1))
    ]
    sweeps = _sweep(buckets, times, q, width, None)
    if any(sweep.regrouped for sweep in sweeps):
        # A sender changed VO in the range (rare): it is charted under its newest VO
        # throughout, as Elasticsearch charts it (only buckets summed in the database
        # follow each bucket's VO).
        sweeps = _sweep(buckets, times, q, width, _newest_groups(buckets, width, count))
    return {m: sweep.series(q.interval) for m, sweep in zip(q.metrics, sweeps, strict=True)}


def _sweep(
    buckets: list[tuple[int, Senders]],
    times: list[int],
    q: ChartQuery,
    width: int,
    groups: Groups | None,
) -> list[Sweep]:
    sweeps = [Sweep(times, q.stale_seconds) for _ in q.metrics]
    for bucket, one in buckets:
        for sweep in sweeps:
            sweep.record_until(bucket - 1)
        _take(sweeps, groups, bucket + q.interval - 1, one, width)
    return sweeps


def _one_per_sender(rows: Iterable[Sample], width: int, metric_count: int) -> Senders:
    """The sample rows (entity..., grp, b, s0..sk, n0..nk) of one bucket, one per sender. A
    sender has one row per bucket unless it is read from raw messages or changed VO; those
    few are folded into one."""
    one: Senders = {}
    more: dict[tuple[Any, ...], list[Sample]] = {}
    for row in rows:
        sender = row[:width]
        if sender in one:
            more.setdefault(sender, [one[sender]]).append(row)
        else:
            one[sender] = row
    for sender, together in more.items():
        one[sender] = _fold(together, width, metric_count)
    return one


def _newest_groups(buckets: list[tuple[int, Senders]], width: int, metric_count: int) -> Groups:
    """Per metric, each sender's group in the newest bucket where it sent that metric."""
    groups: Groups = [{} for _ in range(metric_count)]
    for i, newest in enumerate(groups):
        column = width + 2 + i
        for _, one in buckets:  # oldest first: a newer group replaces an older one
            newest.update({s: r[width] for s, r in one.items() if r[column] is not None})
    return groups


def _take(sweeps: list[Sweep], groups: Groups | None, when: int, one: Senders, width: int) -> None:
    """One bucket's samples, one row per sender, as one average per sender and metric."""
    for i, sweep in enumerate(sweeps):
        column, count = width + 2 + i, width + 2 + len(sweeps) + i
        # The group each sender is charted under: the row's own, or its newest.
        newest = groups[i] if groups is not None else None
        sweep.take(
            when,
            [
                (
                    sender,
                    (sample[width] if newest is None else newest[sender]) or "unknown",
                    sample[column] / sample[count],
                )
                for sender, sample in one.items()
                if sample[column] is not None
            ],
        )


def _fold(rows: list[Sequence[Any]], width: int, metric_count: int) -> list[Any]:
    """Several rows of one sender and bucket as one: the group of the last row that has
    one, the sums, and per metric the count of the samples that carried it."""
    group = next((r[width] for r in reversed(rows) if r[width] is not None), None)
    sums: list[float | None] = [None] * metric_count
    counts = [0] * metric_count
    for row in rows:
        for i in range(metric_count):
            value = row[width + 2 + i]
            if value is not None:
                sums[i] = (sums[i] or 0.0) + value
                counts[i] += row[width + 2 + metric_count + i]
    return [*rows[-1][:width], group, rows[-1][width + 1], *sums, *counts]
