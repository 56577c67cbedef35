"""`Store.factory_health` on the embedded store: one grouped query over the factory's newest
messages, so no Message is built (a factory page read and walked 3,000 of them)."""

from __future__ import annotations

from django.db import connection

from vacmon.models import FactoryStatus
from vacmon.store.base import Scope
from vacmon.store.embedded.grouped import where_clauses
from vacmon.store.health import HEARTBEAT_FIELDS, FactoryHealth, by_last_seen


def factory_health(
    *, since: int, until: int, interval: int, scope: Scope, limit: int
) -> FactoryHealth:
    clauses, params = where_clauses("factory_status", scope)
    where = " AND ".join(["time_received >= %s", "time_received <= %s", *clauses])
    beats = ", ".join(HEARTBEAT_FIELDS)
    ages = ", ".join(
        f"MAX(CASE WHEN {f} <> 0 THEN (CASE WHEN time_sent > {f} THEN time_sent - {f} "
        "ELSE 0 END) END)"
        for f in HEARTBEAT_FIELDS
    )
    query = (
        f"SELECT b, {ages}, daemon_version, os_issue, MIN(time_received), "
        f"MAX(time_received), COUNT(*) FROM ("
        f"SELECT time_received - (time_received %% {interval}) AS b, time_received, "
        f"time_sent, {beats}, daemon_version, os_issue "
        f"FROM {FactoryStatus._meta.db_table} WHERE {where} "
        f"ORDER BY time_received DESC, id DESC LIMIT %s) newest "
        "GROUP BY b, daemon_version, os_issue"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [since, until, *params, limit])
        rows = cursor.fetchall()
    width = len(HEARTBEAT_FIELDS)
    found: dict[str, dict[int, int]] = {f: {} for f in HEARTBEAT_FIELDS}
    spans: dict[str, dict[str, tuple[int, int]]] = {"daemon_version": {}, "os_issue": {}}
    count = 0
    for bucket, *rest in rows:
        worst, (daemon, os_issue, first, last, n) = rest[:width], rest[width:]
        count += n
        for field, age in zip(HEARTBEAT_FIELDS, worst, strict=True):
            if age is not None:
                cell = found[field]
                cell[int(bucket)] = max(cell.get(int(bucket), age), age)
        for field, value in (("daemon_version", daemon), ("os_issue", os_issue)):
            if value:
                a, b = spans[field].get(value, (first, last))
                spans[field][value] = (min(a, first), max(b, last))
    return FactoryHealth(
        ages={f: row for f, row in found.items() if row},
        versions={f: by_last_seen(by_value) for f, by_value in spans.items()},
        messages=count,
    )
