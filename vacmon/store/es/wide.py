"""Wide chart buckets from raw per-sender pages, summed per group in Python (pure).

For buckets the rollups do not hold (the newest ones after the watermark, a chart of one
factory, an interval no rollup is built at), the per-sender composite pages of
`builders.buckets_query` are summed here as the rollups would sum them: each sender (and,
grouped by VO, each of its VOs) averaged over the bucket, the averages summed per group,
nothing carried forward.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vacmon.store.es.parsers import NO_VALUE, composite_page
from vacmon.store.es.rollups import Sums


def add_sender_page(
    sums: Sums, metrics: Sequence[str], group_by: str, body: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, int]:
    """Add one page of per-sender histograms into `sums`; return the next page's key and
    the most buckets one sender filled (for sizing the next page)."""
    buckets, after = composite_page(body)
    filled = 0
    names = [(sums[metric], f"n_{metric}", f"sum_{metric}") for metric in metrics]
    for bucket in buckets:
        group = bucket["key"].get(group_by)
        name = str(group) if group is not None else "unknown"
        slots = (bucket.get("t") or NO_VALUE).get("buckets") or []
        filled = max(filled, len(slots))
        for slot in slots:
            start = int(slot["key"]) // 1000
            for into, n_name, sum_name in names:
                samples = (slot.get(n_name) or NO_VALUE).get("value")
                total = (slot.get(sum_name) or NO_VALUE).get("value")
                if samples and total is not None:
                    into.setdefault(name, {}).setdefault(start, []).append(float(total) / samples)
    return after, filled
