"""The embedded store's chart planner: which of its reads draws a `ChartQuery`.

Buckets at least as wide as the carry window (and as the finest space rollup) need no
carry-forward: they are summed per group in the database (grouped.py, from the space
rollups where they cover the chart). Narrower buckets are carried forward by the shared
`Sweep` over sample rows in bucket order (carried.py). Either way the answer is a finished
series per metric, as from every backend.
"""

from __future__ import annotations

from vacmon.store.base import ChartQuery, Series
from vacmon.store.embedded.carried import carried_series
from vacmon.store.embedded.grouped import group_sums
from vacmon.store.embedded.summing import coarsest_dividing
from vacmon.store.series import bucket_starts

# Buckets at least this wide (and at least the carry-forward window) are summed per group
# in the database; see grouped.py.
GROUPED_FROM = 600


def chart(q: ChartQuery) -> dict[str, Series]:
    q.check()
    summed = coarsest_dividing(q.interval) is not None and q.interval >= max(
        q.stale_seconds, GROUPED_FROM
    )
    if not summed:
        return carried_series(q)
    times = bucket_starts(q.since, q.until, q.interval)
    index = {t: i for i, t in enumerate(times)}
    out = {}
    for metric, groups in group_sums(q).items():
        values: dict[str, list[float | None]] = {}
        for group, by_bucket in groups.items():
            row: list[float | None] = [None] * len(times)
            for bucket, value in by_bucket.items():
                i = index.get(bucket)
                if i is not None:
                    row[i] = value
            values[group] = row
        out[metric] = Series(
            start=times[0], interval=q.interval, times=times, values=dict(sorted(values.items()))
        )
    return out
