"""Build the 5-minute, 1-hour, 6-hour and 1-day rollups with INSERT ... SELECT, one bucket
range at a time, each level from a finer one, then the space rollups over them
(space_rollups.py).

Buckets are built only once they are complete plus a grace period, because the listener
flushes in batches and a message received at 12:04:59.9 may be committed a moment later.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.db import connection

from vacmon.models import Rollup, RollupWatermark
from vacmon.store.base import SERIES_METRICS
from vacmon.store.embedded import space_rollups
from vacmon.store.embedded.summing import (
    DAY,
    FINE,
    HOUR,
    QUARTER,
    TRIES,
    bounded,
    build_range,
    first_bucket,
    locked,
)
from vacmon.store.embedded.tables import model_for
from vacmon.store.faults import retry_transient

# Each level and the one it is built from; a chart reads the coarsest that divides its
# interval, then finer ones for the newest buckets (grouped.sender_samples).
LEVELS = ((HOUR, FINE), (QUARTER, HOUR), (DAY, HOUR))
GRACE_SECONDS = 60


def build(now: int, *, start: int | None = None) -> dict[int, int]:
    """Bring every resolution, and the space rollups built on them, up to date; return the
    new watermark per per-sender resolution."""
    fine_until = (now - GRACE_SECONDS) // FINE * FINE
    marks = {FINE: _build(FINE, start, fine_until, _fine_sql)}
    for resolution, base in LEVELS:
        until = marks[base] // resolution * resolution
        marks[resolution] = _build(
            resolution, start, until, partial(_coarser_sql, resolution=resolution, base=base)
        )
    space_rollups.build(start=start)
    return marks


def _build(resolution: int, start: int | None, until: int, statement: Callable[[str], str]) -> int:
    return build_range(
        Rollup,
        RollupWatermark,
        resolution,
        start=start,
        until=until,
        oldest=partial(_oldest, resolution),
        statement=statement,
    )


def _oldest(resolution: int) -> int:
    base = dict(LEVELS).get(resolution)
    if base is not None:
        return first_bucket(base)
    times = [
        model_for(t)
        .objects.order_by("time_received")
        .values_list("time_received", flat=True)
        .first()  # type: ignore[attr-defined]
        for t in SERIES_METRICS
    ]
    present = [t for t in times if t is not None]
    return min(present) if present else 0


def _entity_cols(message_type: str) -> tuple[str, str]:
    if message_type == "machinetype_status":
        return "site, space, factory, machinetype, vo", "site, space, factory, machinetype, vo"
    return "site, space, factory, '' AS machinetype, NULL AS vo", "site, space, factory"


def _columns(metrics: tuple[str, ...]) -> str:
    """The metric columns, then their sample counts."""
    return ", ".join([*metrics, *(f"n_{m}" for m in metrics)])


# These statements take parameters, so a literal modulo is written `%%` (the DB-API
# paramstyle; Django's SQLite backend translates it too).


def _fine_sql(message_type: str) -> str:
    metrics = SERIES_METRICS[message_type]
    select_cols, group_cols = _entity_cols(message_type)
    sums = ", ".join(f"SUM({bounded(m)})" for m in metrics)
    # COUNT(metric) counts the messages that carried it: its average's divisor.
    counts = ", ".join(f"COUNT({m})" for m in metrics)
    return (
        f"INSERT INTO {Rollup._meta.db_table} (resolution, bucket, message_type, site, space, "
        f"factory, machinetype, vo, samples, {_columns(metrics)}) "
        f"SELECT {FINE}, time_received - (time_received %% {FINE}), '{message_type}', "
        f"{select_cols}, COUNT(*), {sums}, {counts} "
        f"FROM {model_for(message_type)._meta.db_table} "
        "WHERE time_received >= %s AND time_received < %s "
        f"GROUP BY time_received - (time_received %% {FINE}), {group_cols}"
    )


def _coarser_sql(message_type: str, resolution: int, base: int) -> str:
    metrics = SERIES_METRICS[message_type]
    sums = ", ".join(f"SUM({bounded(m)})" for m in metrics)
    counts = ", ".join(f"SUM(n_{m})" for m in metrics)
    table = Rollup._meta.db_table
    return (
        f"INSERT INTO {table} (resolution, bucket, message_type, site, space, factory, "
        f"machinetype, vo, samples, {_columns(metrics)}) "
        f"SELECT {resolution}, bucket - (bucket %% {resolution}), message_type, site, space, "
        f"factory, machinetype, vo, SUM(samples), {sums}, {counts} FROM {table} "
        f"WHERE resolution = {base} AND message_type = '{message_type}' "
        "AND bucket >= %s AND bucket < %s "
        f"GROUP BY bucket - (bucket %% {resolution}), message_type, site, space, factory, "
        "machinetype, vo"
    )


def purge(*, before: int) -> int:
    deleted, _ = Rollup.objects.filter(bucket__lt=before).delete()
    return deleted + space_rollups.purge(before=before)


def optimise() -> None:
    """Refresh SQLite's planner statistics now and then: without them it may read a site's
    whole history through the natural-key index instead of the time index."""
    if connection.vendor == "sqlite":
        retry_transient(lambda: locked(_pragma_optimize), tries=TRIES)


def _pragma_optimize() -> None:
    # ANALYZE writes the statistics tables: a write like any other, so it queues for the
    # lock and passes a busy database by retrying.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA optimize")
