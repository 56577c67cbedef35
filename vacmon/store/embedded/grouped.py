"""Chart buckets summed per group inside the database, for buckets wide enough that no
carry-forward is needed.

Once a bucket is at least as wide as the staleness cut-off, every live sender reports in
every bucket, so "average each sender over the bucket, then sum per group" needs no
per-sender state in Python. Doing both steps in SQL returns groups x buckets rows instead of
senders x buckets rows: a month of 800 machinetype senders is 7,000 rows, not 600,000.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from vacmon.models import Rollup
from vacmon.store.base import EntityBuckets, Scope
from vacmon.store.embedded import space_rollups
from vacmon.store.embedded.tables import ENTITY, model_for


def group_buckets(
    message_type: str,
    metric: str,
    *,
    group_by: str,
    since: int,
    until: int,
    interval: int,
    scope: Scope,
    built_until: int,
) -> list[EntityBuckets]:
    first = since - since % interval
    groups: dict[str, dict[int, float]] = {}
    if space_rollups.covers(group_by, interval, scope):
        summed = space_rollups.watermark(interval)
        if summed > first:
            groups = space_rollups.read(
                message_type,
                metric,
                group_by=group_by,
                first=first,
                before=min(summed, until + 1),
                interval=interval,
                where=_where(message_type, scope),
            )
            first = summed
    if first <= until:
        _add_sender_sums(
            groups, message_type, metric, group_by, first, until, interval, scope, built_until
        )
    return [
        EntityBuckets(group=name, entity=(name,), averages=by_bucket, carry=False)
        for name, by_bucket in groups.items()
    ]


def _add_sender_sums(
    groups: dict[str, dict[int, float]],
    message_type: str,
    metric: str,
    group_by: str,
    first: int,
    until: int,
    interval: int,
    scope: Scope,
    built_until: int,
) -> None:
    """Average each sender over each bucket, sum per group, add into `groups`."""
    entity = ", ".join(ENTITY[message_type])
    parts: list[str] = []
    params: list[Any] = []
    raw_from = first
    if built_until > first:
        sql, args = _rollup_part(
            message_type, metric, group_by, first, min(built_until, until + 1), interval, scope
        )
        parts.append(sql)
        params += args
        raw_from = built_until
    if raw_from <= until:
        sql, args = _raw_part(message_type, metric, group_by, raw_from, until, interval, scope)
        parts.append(sql)
        params += args
    query = (
        "SELECT grp, b, SUM(avg_value) FROM ("
        f"SELECT grp, b, SUM(s) * 1.0 / SUM(n) AS avg_value FROM ({' UNION ALL '.join(parts)}) "
        f"parts GROUP BY {entity}, grp, b) senders GROUP BY grp, b"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for group, bucket, value in cursor.fetchall():
            name = group if group is not None else "unknown"
            cell = groups.setdefault(name, {})
            cell[int(bucket)] = cell.get(int(bucket), 0.0) + float(value)


def _where(message_type: str, scope: Scope) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    names = ["site", "space", "factory"]
    if message_type != "factory_status":
        names += ["machinetype", "vo"]
    for name in names:
        value = getattr(scope, name)
        if value is not None:
            clauses.append(f"{name} = %s")
            params.append(value)
    return clauses, params


def _rollup_part(
    message_type: str,
    metric: str,
    group_by: str,
    first: int,
    before: int,
    interval: int,
    scope: Scope,
) -> tuple[str, list[Any]]:
    clauses, params = _where(message_type, scope)
    where = " AND ".join(
        [
            "resolution = %s",
            "message_type = %s",
            "bucket >= %s",
            "bucket < %s",
            f"{metric} IS NOT NULL",
            *clauses,
        ]
    )
    resolution = 3600 if interval % 3600 == 0 else 300
    sql = (
        f"SELECT {', '.join(ENTITY[message_type])}, {group_by} AS grp, "
        f"bucket - (bucket %% {interval}) AS b, {metric} AS s, samples AS n "
        f"FROM {Rollup._meta.db_table} WHERE {where}"
    )
    return sql, [resolution, message_type, first, before, *params]


def _raw_part(
    message_type: str,
    metric: str,
    group_by: str,
    since: int,
    until: int,
    interval: int,
    scope: Scope,
) -> tuple[str, list[Any]]:
    clauses, params = _where(message_type, scope)
    where = " AND ".join(
        ["time_received >= %s", "time_received <= %s", f"{metric} IS NOT NULL", *clauses]
    )
    sql = (
        f"SELECT {', '.join(ENTITY[message_type])}, {group_by} AS grp, "
        f"time_received - (time_received %% {interval}) AS b, {metric} AS s, 1 AS n "
        f"FROM {model_for(message_type)._meta.db_table} WHERE {where}"
    )
    return sql, [since, until, *params]
