"""Which charts are summed per group instead of carried forward, and at which resolutions
a backend may keep those sums: one rule for every backend, so that they chart alike.

A chart bucket at least as wide as the staleness window is "average each sender over the
bucket, then sum per group", with no sender carried into a later bucket. Once such a bucket
has settled its sums never change, so each backend keeps them per (site, space,
machinetype, VO) at every chart interval a wide range can pick: the embedded store's space
rollups (embedded/space_rollups.py) and Elasticsearch's rollup index (es/rollups.py).
"""

from __future__ import annotations

from vacmon.store.base import Scope
from vacmon.timerange import chart_intervals

# The finest per-sender rollup: a summed chart's buckets are whole multiples of it, so they
# can be read from rollups.
FINEST = 300
# Narrower buckets are always carried forward (the hour range's 5-minute buckets).
SUMMED_FROM = 600
# Every interval `vacmon.timerange.pick_interval` gives a range longer than 10 hours.
RESOLUTIONS = tuple(i for i in chart_intervals() if i >= SUMMED_FROM)
# The keys the group sums are kept by; a chart grouped by factory, or narrowed to one
# factory or machine, is summed from the per-sender data instead.
GROUPS = ("site", "space", "machinetype", "vo")


def is_summed(interval: int, stale_seconds: int) -> bool:
    """Whether a chart of `interval` buckets is summed per group without carrying."""
    return interval % FINEST == 0 and interval >= max(stale_seconds, SUMMED_FROM)


def covers(group_by: str, interval: int, scope: Scope) -> bool:
    """Whether kept group sums can answer a summed chart: one of their resolutions, grouped
    by one of their keys, not narrowed below them."""
    return (
        interval in RESOLUTIONS
        and group_by in GROUPS
        and scope.factory is None
        and scope.machine is None
    )
