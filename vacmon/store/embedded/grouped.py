"""Chart buckets summed per group inside the database, for buckets wide enough that no
carry-forward is needed.

Once a bucket is at least as wide as the staleness cut-off, every live sender reports in
every bucket, so "average each sender over the bucket, then sum per group" needs no
per-sender state in Python. Doing both steps in SQL returns groups x buckets rows instead of
senders x buckets rows: a month of 800 machinetype senders is 7,000 rows, not 600,000.
Complete buckets come from the space rollups where they cover the chart (space_rollups.py).
Several metrics of one message type are read in one pass.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from vacmon.models import Rollup, RollupWatermark
from vacmon.store.base import ENTITY, EntityBuckets, Scope
from vacmon.store.embedded import space_rollups
from vacmon.store.embedded.summing import SENDER_RESOLUTIONS, sender_mean
from vacmon.store.embedded.tables import model_for

# metric -> group -> bucket start -> Σ of sender averages
Sums = dict[str, dict[str, dict[int, float]]]


def group_buckets(
    message_type: str,
    metrics: tuple[str, ...],
    group_by: str,
    since: int,
    until: int,
    interval: int,
    scope: Scope,
) -> dict[str, list[EntityBuckets]]:
    first = since - since % interval
    sums: Sums = {m: {} for m in metrics}
    if space_rollups.covers(group_by, interval, scope):
        summed = space_rollups.watermark(interval)
        if summed > first:
            rows = space_rollups.read(
                message_type,
                metrics,
                group_by=group_by,
                first=first,
                before=min(summed, until + 1),
                interval=interval,
                where=where_clauses(message_type, scope),
            )
            _add_rows(sums, metrics, rows)
            first = summed
    if first <= until:
        _add_sender_sums(sums, message_type, metrics, group_by, first, until, interval, scope)
    return as_groups(sums)


def as_groups(sums: Sums) -> dict[str, list[EntityBuckets]]:
    return {
        metric: [
            EntityBuckets(group=name, entity=(name,), averages=by_bucket, carry=False)
            for name, by_bucket in groups.items()
        ]
        for metric, groups in sums.items()
    }


def _add_sender_sums(
    sums: Sums,
    message_type: str,
    metrics: tuple[str, ...],
    group_by: str,
    first: int,
    until: int,
    interval: int,
    scope: Scope,
) -> None:
    """Average each sender over each bucket, sum per group, add into `sums`. A sender's
    average counts only the samples that carried the metric."""
    entity = ", ".join(ENTITY[message_type])
    samples, params = sender_samples(message_type, metrics, group_by, first, until, interval, scope)
    averages = ", ".join(f"{sender_mean(f's{i}', 'n')} AS a{i}" for i in range(len(metrics)))
    totals = ", ".join(f"SUM(a{i})" for i in range(len(metrics)))
    query = (
        f"SELECT grp, b, {totals} FROM ("
        f"SELECT grp, b, {averages} FROM ({samples}) "
        f"parts GROUP BY {entity}, grp, b) senders GROUP BY grp, b"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        _add_rows(sums, metrics, cursor.fetchall())


def _add_rows(sums: Sums, metrics: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Add rows (group, bucket, one total per metric) into `sums`; NULL totals are gaps."""
    for group, bucket, *values in rows:
        name = group if group is not None else "unknown"
        for metric, value in zip(metrics, values, strict=True):
            if value is not None:
                cell = sums[metric].setdefault(name, {})
                cell[int(bucket)] = cell.get(int(bucket), 0.0) + float(value)


def sender_samples(
    message_type: str,
    metrics: tuple[str, ...],
    group_by: str,
    first: int,
    until: int,
    interval: int,
    scope: Scope,
) -> tuple[str, list[Any]]:
    """SQL for every sender's samples from `first` to `until` as rows of (entity columns,
    grp, b, s0..sk, n): from the coarsest per-sender rollups that divide the interval, then
    finer ones past its watermark, then the raw messages past the finest. `n` counts
    samples; s_i is NULL where metric i was not sent."""
    marks = dict(RollupWatermark.objects.values_list("resolution", "built_until"))
    parts: list[str] = []
    params: list[Any] = []
    at = first
    for resolution in SENDER_RESOLUTIONS:
        built = marks.get(resolution, 0)
        if interval % resolution or built <= at or at % resolution:
            continue
        before = min(built, until + 1)
        sql, args = _rollup_part(
            message_type, metrics, group_by, resolution, at, before, interval, scope
        )
        parts.append(sql)
        params += args
        at = built
    if at <= until:
        sql, args = _raw_part(message_type, metrics, group_by, at, until, interval, scope)
        parts.append(sql)
        params += args
    return " UNION ALL ".join(parts), params


def where_clauses(message_type: str, scope: Scope) -> tuple[list[str], list[Any]]:
    """The scope (`Scope.terms`) as SQL conditions. Chart reads never name a machine
    (`check_series`), which the rollup tables could not filter on."""
    terms = scope.terms(message_type)
    return [f"{name} = %s" for name, _ in terms], [value for _, value in terms]


def _any_of(metrics: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"{m} IS NOT NULL" for m in metrics) + ")"


def _rollup_part(
    message_type: str,
    metrics: tuple[str, ...],
    group_by: str,
    resolution: int,
    first: int,
    before: int,
    interval: int,
    scope: Scope,
) -> tuple[str, list[Any]]:
    clauses, params = where_clauses(message_type, scope)
    where = " AND ".join(
        [
            "resolution = %s",
            "message_type = %s",
            "bucket >= %s",
            "bucket < %s",
            _any_of(metrics),
            *clauses,
        ]
    )
    values = ", ".join(f"{m} AS s{i}" for i, m in enumerate(metrics))
    sql = (
        f"SELECT {', '.join(ENTITY[message_type])}, {group_by} AS grp, "
        f"bucket - (bucket %% {interval}) AS b, {values}, samples AS n "
        f"FROM {Rollup._meta.db_table} WHERE {where}"
    )
    return sql, [resolution, message_type, first, before, *params]


def _raw_part(
    message_type: str,
    metrics: tuple[str, ...],
    group_by: str,
    since: int,
    until: int,
    interval: int,
    scope: Scope,
) -> tuple[str, list[Any]]:
    clauses, params = where_clauses(message_type, scope)
    where = " AND ".join(["time_received >= %s", "time_received <= %s", _any_of(metrics), *clauses])
    values = ", ".join(f"{m} AS s{i}" for i, m in enumerate(metrics))
    sql = (
        f"SELECT {', '.join(ENTITY[message_type])}, {group_by} AS grp, "
        f"time_received - (time_received %% {interval}) AS b, {values}, 1 AS n "
        f"FROM {model_for(message_type)._meta.db_table} WHERE {where}"
    )
    return sql, [since, until, *params]
