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
from vacmon.store import summed
from vacmon.store.base import ENTITY, ChartQuery, Scope
from vacmon.store.embedded import space_rollups
from vacmon.store.embedded.summing import SENDER_RESOLUTIONS, sender_mean
from vacmon.store.embedded.tables import model_for

# metric -> group -> bucket start -> Σ of sender averages
Sums = dict[str, dict[str, dict[int, float]]]


def group_sums(q: ChartQuery) -> Sums:
    """Σ of sender averages per metric, group and bucket of the chart `q`."""
    first = q.since - q.since % q.interval
    sums: Sums = {m: {} for m in q.metrics}
    if summed.covers(q.group_by, q.interval, q.scope):
        built = space_rollups.watermark(q.interval)
        if built > first:
            rows = space_rollups.read(
                q,
                first=first,
                before=min(built, q.until + 1),
                where=where_clauses(q.message_type, q.scope),
            )
            _add_rows(sums, q.metrics, rows)
            first = built
    if first <= q.until:
        _add_sender_sums(sums, q, first)
    return sums


def _add_sender_sums(sums: Sums, q: ChartQuery, first: int) -> None:
    """Average each sender over each bucket, sum per group, add into `sums`. A sender's
    average counts only the samples that carried the metric."""
    entity = ", ".join(ENTITY[q.message_type])
    samples, params = sender_samples(q, first)
    averages = ", ".join(f"{sender_mean(f's{i}', f'n{i}')} AS a{i}" for i in range(len(q.metrics)))
    totals = ", ".join(f"SUM(a{i})" for i in range(len(q.metrics)))
    query = (
        f"SELECT grp, b, {totals} FROM ("
        f"SELECT grp, b, {averages} FROM ({samples}) "
        f"parts GROUP BY {entity}, grp, b) senders GROUP BY grp, b"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        _add_rows(sums, q.metrics, cursor.fetchall())


def _add_rows(sums: Sums, metrics: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Add rows (group, bucket, one total per metric) into `sums`; NULL totals are gaps."""
    for group, bucket, *values in rows:
        name = group if group is not None else "unknown"
        for metric, value in zip(metrics, values, strict=True):
            if value is not None:
                cell = sums[metric].setdefault(name, {})
                cell[int(bucket)] = cell.get(int(bucket), 0.0) + float(value)


def sender_samples(q: ChartQuery, first: int) -> tuple[str, list[Any]]:
    """SQL for every sender's samples of the chart `q` from `first` on, as rows of (entity
    columns, grp, b, s0..sk, n0..nk): from the coarsest per-sender rollups that divide the
    interval, then finer ones past its watermark, then the raw messages past the finest.
    s_i sums metric i, NULL where it was not sent; n_i counts the samples that carried it
    (1 for a raw message, which the reader counts only where s_i is not NULL)."""
    marks = dict(RollupWatermark.objects.values_list("resolution", "built_until"))
    parts: list[str] = []
    params: list[Any] = []
    at = first
    for resolution in SENDER_RESOLUTIONS:
        built = marks.get(resolution, 0)
        if q.interval % resolution or built <= at or at % resolution:
            continue
        sql, args = _rollup_part(q, resolution, at, min(built, q.until + 1))
        parts.append(sql)
        params += args
        at = built
    if at <= q.until:
        sql, args = _raw_part(q, at)
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


def _columns(q: ChartQuery) -> str:
    """The entity, its group and the metric columns of a sample row."""
    values = ", ".join(f"{m} AS s{i}" for i, m in enumerate(q.metrics))
    return f"{', '.join(ENTITY[q.message_type])}, {q.group_by} AS grp, {{bucket}}, {values}"


def _rollup_part(q: ChartQuery, resolution: int, first: int, before: int) -> tuple[str, list[Any]]:
    clauses, params = where_clauses(q.message_type, q.scope)
    where = " AND ".join(
        [
            "resolution = %s",
            "message_type = %s",
            "bucket >= %s",
            "bucket < %s",
            _any_of(q.metrics),
            *clauses,
        ]
    )
    columns = _columns(q).format(bucket=f"bucket - (bucket %% {q.interval}) AS b")
    counts = ", ".join(f"n_{m} AS n{i}" for i, m in enumerate(q.metrics))
    sql = f"SELECT {columns}, {counts} FROM {Rollup._meta.db_table} WHERE {where}"
    return sql, [resolution, q.message_type, first, before, *params]


def _raw_part(q: ChartQuery, since: int) -> tuple[str, list[Any]]:
    clauses, params = where_clauses(q.message_type, q.scope)
    where = " AND ".join(
        ["time_received >= %s", "time_received <= %s", _any_of(q.metrics), *clauses]
    )
    columns = _columns(q).format(bucket=f"time_received - (time_received %% {q.interval}) AS b")
    counts = ", ".join(f"1 AS n{i}" for i in range(len(q.metrics)))
    table = model_for(q.message_type)._meta.db_table
    sql = f"SELECT {columns}, {counts} FROM {table} WHERE {where}"
    return sql, [since, q.until, *params]
