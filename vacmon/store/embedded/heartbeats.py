"""`Reader.heartbeats` on the embedded store: one grouped query over the newest messages, so
no Message is built (a factory page reads 3,000 of them: 5 ms here, 21 ms as messages)."""

from __future__ import annotations

from django.db import connection

from vacmon.models import FactoryStatus
from vacmon.store.ahead import ahead_sql
from vacmon.store.base import Scope
from vacmon.store.embedded.grouped import where_clauses
from vacmon.store.heartbeats import HEARTBEAT_FIELDS, VERSION_FIELDS, FactoryHealth, Tally


def heartbeats(*, since: int, until: int, interval: int, scope: Scope, limit: int) -> FactoryHealth:
    clauses, params = where_clauses("factory_status", scope)
    where = " AND ".join(["time_received >= %s", "time_received <= %s", *clauses])
    beats = ", ".join(HEARTBEAT_FIELDS)
    ages = ", ".join(
        f"MAX(CASE WHEN {f} <> 0 AND NOT {ahead_sql()} THEN "
        f"(CASE WHEN time_sent > {f} THEN time_sent - {f} "
        "ELSE 0 END) END)"
        for f in HEARTBEAT_FIELDS
    )
    versions = ", ".join(VERSION_FIELDS)
    query = (
        f"SELECT b, {ages}, {versions}, MIN(time_received), MAX(time_received), COUNT(*) "
        f"FROM (SELECT time_received - (time_received %% {interval}) AS b, time_received, "
        f"time_sent, skewed, {beats}, {versions} "
        f"FROM {FactoryStatus._meta.db_table} WHERE {where} "
        f"ORDER BY time_received DESC, id DESC LIMIT %s) newest "
        f"GROUP BY b, {versions}"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [since, until, *params, limit])
        rows = cursor.fetchall()
    width = len(HEARTBEAT_FIELDS)
    tally = Tally()
    for bucket, *rest in rows:
        worst, versions = rest[:width], rest[width : width + len(VERSION_FIELDS)]
        first, last, count = rest[width + len(VERSION_FIELDS) :]
        tally.messages += count
        for field, age in zip(HEARTBEAT_FIELDS, worst, strict=True):
            if age is not None:
                tally.age(field, int(bucket), age)
        for field, value in zip(VERSION_FIELDS, versions, strict=True):
            tally.version(field, value, first, last)
    return tally.result()
