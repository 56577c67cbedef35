"""Per-sender bucket averages for charts, from the rollups where they are built and from
the raw tables after the rollup watermark (so the newest minutes are never missing)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, Sum
from django.db.models.functions import Mod

from vacmon.models import Rollup, RollupWatermark
from vacmon.store.base import SERIES_METRICS, EntityBuckets, Scope
from vacmon.store.embedded.grouped import group_buckets
from vacmon.store.embedded.queries import scope_q
from vacmon.store.embedded.tables import ENTITY, model_for

RESOLUTIONS = (3600, 300)
# Buckets at least this wide (and at least the carry-forward window) are summed per group
# in the database; see grouped.py.
GROUPED_FROM = 600

# (entity, bucket) -> [sum, count]
Sums = dict[tuple[tuple[Any, ...], int], list[float]]


def entity_buckets_many(
    message_type: str,
    metrics: tuple[str, ...],
    *,
    group_by: str,
    since: int,
    until: int,
    interval: int,
    scope: Scope,
    lookback: int,
) -> dict[str, list[EntityBuckets]]:
    """`entity_buckets` of several metrics; wide buckets read them all in one query."""
    for metric in metrics:
        _check(message_type, metric, group_by)
    resolution = next((r for r in RESOLUTIONS if interval % r == 0), None)
    if resolution is not None and interval >= max(lookback, GROUPED_FROM):
        return group_buckets(
            message_type,
            metrics,
            group_by=group_by,
            since=since,
            until=until,
            interval=interval,
            scope=scope,
            built_until=_watermark(resolution),
        )
    return {
        metric: entity_buckets(
            message_type,
            metric,
            group_by=group_by,
            since=since,
            until=until,
            interval=interval,
            scope=scope,
            lookback=lookback,
        )
        for metric in metrics
    }


def entity_buckets(
    message_type: str,
    metric: str,
    *,
    group_by: str,
    since: int,
    until: int,
    interval: int,
    scope: Scope,
    lookback: int,
) -> list[EntityBuckets]:
    _check(message_type, metric, group_by)
    resolution = next((r for r in RESOLUTIONS if interval % r == 0), None)
    if resolution is not None and interval >= max(lookback, GROUPED_FROM):
        return group_buckets(
            message_type,
            (metric,),
            group_by=group_by,
            since=since,
            until=until,
            interval=interval,
            scope=scope,
            built_until=_watermark(resolution),
        )[metric]
    start = since - lookback
    sums: Sums = defaultdict(lambda: [0.0, 0.0])
    groups: dict[tuple[Any, ...], str] = {}
    raw_from = start
    if resolution is not None:
        built = _watermark(resolution)
        if built > start:
            _from_rollups(
                message_type,
                metric,
                group_by,
                resolution,
                start,
                min(built, until + 1),
                interval,
                scope,
                sums,
                groups,
            )
            raw_from = built
    if raw_from <= until:
        _from_raw(message_type, metric, group_by, raw_from, until, interval, scope, sums, groups)
    return _to_entities(sums, groups, since - since % interval, interval)


def _check(message_type: str, metric: str, group_by: str) -> None:
    if metric not in SERIES_METRICS.get(message_type, ()):
        raise ValueError(f"{metric!r} is not a chartable field of {message_type}")
    allowed = ENTITY[message_type][:3] + (
        ("machinetype", "vo") if message_type == "machinetype_status" else ()
    )
    if group_by not in allowed:
        raise ValueError(f"{message_type} cannot be grouped by {group_by!r}")


def _watermark(resolution: int) -> int:
    mark = RollupWatermark.objects.filter(resolution=resolution).first()
    return mark.built_until if mark else 0


def _bucket(field: str, interval: int) -> ExpressionWrapper:
    return ExpressionWrapper(F(field) - Mod(F(field), interval), output_field=BigIntegerField())


def _from_raw(
    message_type: str,
    metric: str,
    group_by: str,
    since: int,
    until: int,
    interval: int,
    scope: Scope,
    sums: Sums,
    groups: dict[tuple[Any, ...], str],
) -> None:
    entity = ENTITY[message_type]
    model = model_for(message_type)
    qs = (
        model.objects.filter(  # type: ignore[attr-defined]
            scope_q(message_type, scope), time_received__gte=since, time_received__lte=until
        )
        .annotate(b=_bucket("time_received", interval))
        .values(*entity, group_by, "b")
        .annotate(s=Sum(metric), n=Count(metric))
    )
    for row in qs:
        _accumulate(row, entity, group_by, sums, groups)


def _from_rollups(
    message_type: str,
    metric: str,
    group_by: str,
    resolution: int,
    since: int,
    before: int,
    interval: int,
    scope: Scope,
    sums: Sums,
    groups: dict[tuple[Any, ...], str],
) -> None:
    entity = ENTITY[message_type]
    qs = (
        Rollup.objects.filter(
            scope_q(message_type, scope),
            resolution=resolution,
            message_type=message_type,
            bucket__gte=since - since % resolution,
            bucket__lt=before,
            **{f"{metric}__isnull": False},
        )
        .annotate(b=_bucket("bucket", interval))
        .values(*entity, group_by, "b")
        .annotate(s=Sum(metric), n=Sum("samples"))
    )
    for row in qs:
        _accumulate(row, entity, group_by, sums, groups)


def _accumulate(
    row: dict[str, Any],
    entity: tuple[str, ...],
    group_by: str,
    sums: Sums,
    groups: dict[tuple[Any, ...], str],
) -> None:
    if row["s"] is None or not row["n"]:
        return
    key = tuple(row[c] for c in entity)
    groups[key] = row[group_by] if row[group_by] is not None else "unknown"
    cell = sums[(key, row["b"])]
    cell[0] += row["s"]
    cell[1] += row["n"]


def _to_entities(
    sums: Sums, groups: dict[tuple[Any, ...], str], first: int, interval: int
) -> list[EntityBuckets]:
    averages: dict[tuple[Any, ...], dict[int, float]] = defaultdict(dict)
    for (key, bucket), (total, count) in sums.items():
        averages[key][bucket] = total / count
    out = []
    for key, by_bucket in averages.items():
        before = [b for b in by_bucket if b < first]
        last = None
        if before:
            newest = max(before)
            last = (newest + interval - 1, by_bucket[newest])
        inside = {b: v for b, v in by_bucket.items() if b >= first}
        out.append(EntityBuckets(group=groups[key], entity=key, averages=inside, last_before=last))
    return out
