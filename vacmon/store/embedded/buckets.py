"""Per-sender bucket averages for charts, from the rollups where they are built and from
the raw tables after the rollup watermark (so the newest minutes are never missing)."""

from __future__ import annotations

from typing import Any

from django.db import connection

from vacmon.store.base import ENTITY, EntityBuckets, Scope, check_series
from vacmon.store.embedded.carried import carried_group_buckets
from vacmon.store.embedded.grouped import group_buckets, sender_samples
from vacmon.store.embedded.summing import coarsest_dividing, sample_start, sender_mean
from vacmon.store.series import sender_buckets

# Buckets at least this wide (and at least the carry-forward window) are summed per group
# in the database; see grouped.py.
GROUPED_FROM = 600


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
    per_group: bool,
) -> dict[str, list[EntityBuckets]]:
    """`Store.entity_buckets_many`: several metrics of one message type in one query."""
    for metric in metrics:
        check_series(message_type, metric, group_by)
    resolution = coarsest_dividing(interval)
    if resolution is not None and interval >= max(lookback, GROUPED_FROM):
        return group_buckets(message_type, metrics, group_by, since, until, interval, scope)
    if per_group:
        return carried_group_buckets(
            message_type, metrics, group_by, since, until, interval, scope, carry=lookback
        )
    first = sample_start(since, lookback, interval)
    samples, params = sender_samples(message_type, metrics, group_by, first, until, interval, scope)
    entity = ", ".join(ENTITY[message_type])
    # One average per sender and bucket; a sender that changed VO within the bucket is
    # charted under one of them.
    averages = ", ".join(sender_mean(f"s{i}", "n") for i in range(len(metrics)))
    query = f"SELECT {entity}, MAX(grp), b, {averages} FROM ({samples}) parts GROUP BY {entity}, b"
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    first_bucket = since - since % interval
    return _to_entities(rows, len(ENTITY[message_type]), metrics, first_bucket, interval)


def _to_entities(
    rows: list[tuple[Any, ...]],
    width: int,
    metrics: tuple[str, ...],
    first: int,
    interval: int,
) -> dict[str, list[EntityBuckets]]:
    """Rows (entity..., grp, b, average0, average1, ...) as one EntityBuckets per sender and
    metric: its bucket averages from `first` on, and its newest one before as `last_before`.
    A sender seen under two groups (a VO changed) is charted under the last one read."""
    # metric index -> entity -> bucket -> average
    means: list[dict[tuple[Any, ...], dict[int, float]]] = [{} for _ in metrics]
    groups: dict[tuple[Any, ...], str] = {}
    for row in rows:
        key = row[:width]
        bucket = int(row[width + 1])
        groups[key] = row[width] if row[width] is not None else "unknown"
        for per_entity, value in zip(means, row[width + 2 :], strict=True):
            if value is not None:
                per_entity.setdefault(key, {})[bucket] = float(value)
    return {
        metric: [
            sender_buckets(groups[key], key, cells, first, interval) for key, cells in per.items()
        ]
        for metric, per in zip(metrics, means, strict=True)
    }
