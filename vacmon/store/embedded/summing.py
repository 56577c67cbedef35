"""What both rollup tables share: the per-sender resolutions, the rule for a sender's
average over a bucket, and the incremental build of a bucket range.

Per-sender rollups (rollups.py) keep sums and per-metric sample counts at 5 minutes, 1 hour, 6 hours
and 1 day (6 hours is the month range's chart bucket, and divides the year range's);
space rollups (space_rollups.py) are built from them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

from django.db import connection, models, transaction

from vacmon.models import Rollup
from vacmon.store.base import SERIES_METRICS
from vacmon.store.faults import Backoff, retry_transient
from vacmon.store.summed import FINEST
from vacmon.store.writelock import write_lock

R = TypeVar("R")

FINE, HOUR, QUARTER, DAY = FINEST, 3600, 21600, 86400
# Per-sender rollup resolutions, coarsest first.
SENDER_RESOLUTIONS = (DAY, QUARTER, HOUR, FINE)


def coarsest_dividing(interval: int) -> int | None:
    """The coarsest per-sender resolution that divides `interval`, if any."""
    return next((r for r in SENDER_RESOLUTIONS if interval % r == 0), None)


def sample_start(since: int, lookback: int, interval: int) -> int:
    """Where a chart's sample read starts: `lookback` seconds before `since`, moved back to
    the start of a rollup bucket when the interval is read from rollups."""
    start = since - lookback
    resolution = coarsest_dividing(interval)
    return start - start % resolution if resolution is not None else start


# The largest magnitude one stored value adds to a sum. Rows stored before the parse bounds
# (factories.messages.limits) may hold anything: two 1.7e308 overflow a PostgreSQL float sum
# (an error, not infinity) and two 2**63 - 1 overflow a SQLite integer sum. Every real value
# is far below this, and a billion rows of it still sum to a finite float.
MAX_SUMMED = 1e18


def bounded(column: str) -> str:
    """SQL for `column` clamped to ±MAX_SUMMED, NULL kept NULL (GREATEST/LEAST would not)."""
    return (
        f"(CASE WHEN {column} > {MAX_SUMMED:.0e} THEN {MAX_SUMMED:.0e} "
        f"WHEN {column} < -{MAX_SUMMED:.0e} THEN -{MAX_SUMMED:.0e} ELSE {column} END)"
    )


def sender_mean(value: str, count: str) -> str:
    """SQL for a sender's average over a bucket from summed `value` columns and `count`,
    the metric's own sample count per row (a rollup's `n_<metric>`, 1 for a raw message):
    only the samples that carried the metric are counted."""
    return f"SUM({bounded(value)}) * 1.0 / SUM(CASE WHEN {value} IS NOT NULL THEN {count} END)"


def first_bucket(resolution: int) -> int:
    """The oldest per-sender rollup bucket at `resolution` (0 when there is none): where a
    level built from it starts the first time."""
    first = Rollup.objects.filter(resolution=resolution).order_by("bucket").first()
    return first.bucket if first else 0


# Buckets built per transaction: short transactions keep ingest's wait for the database
# short, and the watermark moves on with each, so a failed run loses nothing built.
BUCKETS_PER_TRANSACTION = 24
# A rollup step locked out this many times in a row fails the run (the next run resumes).
TRIES = 8


def build_range(
    rows: type[models.Model],
    marks: type[models.Model],
    resolution: int,
    *,
    start: int | None,
    until: int,
    oldest: Callable[[], int],
    statement: Callable[[str], str],
) -> int:
    """Rebuild `rows` at `resolution` from its watermark in `marks` (or `start`, or
    `oldest()` on the first build) up to `until`, a few buckets per transaction, one
    INSERT ... SELECT per message type with the range as its parameters; return the new
    watermark."""
    mark = marks.objects.filter(resolution=resolution).first()
    if start is not None:
        begin = start
    elif mark is not None:
        begin = mark.built_until
    else:
        begin = oldest()
    begin = begin // resolution * resolution
    built = mark.built_until if mark else None
    if begin >= until:
        return built if built is not None else begin
    step = resolution * BUCKETS_PER_TRANSACTION
    for low in range(begin, until, step):
        high = min(low + step, until)
        built = max(high, built if built is not None else high)
        step_once = partial(_build_step, rows, marks, resolution, low, high, built, statement)
        retry_transient(partial(locked, step_once), tries=TRIES, backoff=Backoff(0.05, 2.0))
    assert built is not None
    return built


def _build_step(
    rows: type[models.Model],
    marks: type[models.Model],
    resolution: int,
    low: int,
    high: int,
    mark: int,
    statement: Callable[[str], str],
) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        rows.objects.filter(resolution=resolution, bucket__gte=low, bucket__lt=high).delete()
        for message_type in SERIES_METRICS:
            cursor.execute(statement(message_type), [low, high])
        marks.objects.update_or_create(resolution=resolution, defaults={"built_until": mark})


def locked(work: Callable[[], R]) -> R:
    """`work()` holding the database's write lock (vacmon.store.writelock)."""
    with write_lock():
        return work()
