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
from vacmon.store.series import group_series
from vacmon.store.summed import is_summed


def chart(q: ChartQuery) -> dict[str, Series]:
    q.check()
    if not is_summed(q.interval, q.stale_seconds):
        return carried_series(q)
    return {
        metric: group_series(groups, since=q.since, until=q.until, interval=q.interval)
        for metric, groups in group_sums(q).items()
    }
