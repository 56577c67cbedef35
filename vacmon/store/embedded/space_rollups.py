"""Space rollups: per space, machinetype and VO, the sum of the senders' bucket averages.

A chart over a wide range sums, per group and bucket, each sender's average over the bucket
(see grouped.py). For a fleet-wide month that is 800 machinetype senders x 720 hourly rows
read per metric. Because those averages do not combine across buckets, they are summed per
space once, at each chart interval a range can pick, when the bucket is complete; a chart
grouped by site, space, machinetype or VO then reads spaces x buckets rows. Charts of one
factory, or grouped by factory, keep reading the per-sender rollups.

Built from the per-sender rollups, so a bucket is built once the finer resolution covers it.
A machinetype that changes VO within a bucket counts once per VO here, as it does when a
chart is grouped by VO.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import connection

from vacmon.models import Rollup, RollupWatermark, SpaceRollup, SpaceRollupWatermark
from vacmon.store.base import SERIES_METRICS, ChartQuery
from vacmon.store.embedded.summing import (
    FINE,
    HOUR,
    bounded,
    build_range,
    first_bucket,
    sender_mean,
)
from vacmon.store.summed import RESOLUTIONS

KEY = "site, space, machinetype, vo"


def watermark(resolution: int) -> int:
    mark = SpaceRollupWatermark.objects.filter(resolution=resolution).first()
    return mark.built_until if mark else 0


def read(
    q: ChartQuery, *, first: int, before: int, where: tuple[list[str], list[Any]]
) -> list[tuple[Any, ...]]:
    """Rows (group, bucket, Σ of sender averages per metric) of the chart `q` for buckets
    in [first, before)."""
    clauses, params = where
    conditions = " AND ".join(
        ["resolution = %s", "message_type = %s", "bucket >= %s", "bucket < %s", *clauses]
    )
    totals = ", ".join(f"SUM({bounded(m)})" for m in q.metrics)
    query = (
        f"SELECT {q.group_by}, bucket, {totals} FROM {SpaceRollup._meta.db_table} "
        f"WHERE {conditions} GROUP BY {q.group_by}, bucket"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [q.interval, q.message_type, first, before, *params])
        return cursor.fetchall()


def build(*, start: int | None = None) -> dict[int, int]:
    """Bring every resolution up to the per-sender rollups; return the new watermarks."""
    sender_marks = dict(RollupWatermark.objects.values_list("resolution", "built_until"))
    marks = {}
    for resolution in RESOLUTIONS:
        base = HOUR if resolution % HOUR == 0 else FINE
        marks[resolution] = build_range(
            SpaceRollup,
            SpaceRollupWatermark,
            resolution,
            start=start,
            until=sender_marks.get(base, 0) // resolution * resolution,
            oldest=partial(first_bucket, base),
            statement=partial(_sql, resolution=resolution, base=base),
        )
    return marks


def _sql(message_type: str, resolution: int, base: int) -> str:
    metrics = SERIES_METRICS[message_type]
    averages = ", ".join(f"{sender_mean(m, f'n_{m}')} AS {m}" for m in metrics)
    sums = ", ".join(f"SUM({bounded(m)})" for m in metrics)
    # A literal modulo is `%%`: the statement takes parameters (see rollups.py).
    return (
        f"INSERT INTO {SpaceRollup._meta.db_table} (resolution, bucket, message_type, {KEY}, "
        f"{', '.join(metrics)}) "
        f"SELECT {resolution}, b, '{message_type}', {KEY}, {sums} FROM ("
        f"SELECT bucket - (bucket %% {resolution}) AS b, site, space, factory, machinetype, vo, "
        f"{averages} FROM {Rollup._meta.db_table} "
        f"WHERE resolution = {base} AND message_type = '{message_type}' "
        "AND bucket >= %s AND bucket < %s "
        f"GROUP BY bucket - (bucket %% {resolution}), site, space, factory, machinetype, vo"
        f") senders GROUP BY b, {KEY}"
    )


def purge(*, before: int) -> int:
    deleted, _ = SpaceRollup.objects.filter(bucket__lt=before).delete()
    return deleted
