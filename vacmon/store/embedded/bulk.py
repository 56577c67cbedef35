"""Many rows into one table in one go, the cheapest way each database offers.

SQLite runs executemany in C inside the process: one prepared statement, bound per row.

On PostgreSQL every statement costs the server a parse, a plan and an executor start, and
the client a round trip, so a statement per row spent most of a write waiting on the server
(bench/ingest_profile.py: about three rows a message). Rows go in by COPY instead, which the
server reads as one stream, and psycopg formats COPY rows in C. COPY has no ON CONFLICT, so
it goes either straight into the table (`direct`: the cheapest, but one row already stored
fails the whole statement) or into a temporary staging table that one INSERT ... SELECT ...
ON CONFLICT then reads (about half as much server time again, bench/ingest_profile.py).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction

# The tail that skips rows already stored; only it may go straight in (`direct`).
DO_NOTHING = "ON CONFLICT DO NOTHING"
_UNIQUE_VIOLATION = "23505"

# The staging tables made on each connection: temporary tables live as long as it does.
_STAGES: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def insert_many(
    cursor: Any,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    tail: str,
    *,
    direct: bool = False,
) -> int:
    """INSERT every row of `rows` into `table`, ending the statement with `tail` (an ON
    CONFLICT clause); return how many rows the database reports written. With `direct` on
    PostgreSQL, rows with the DO_NOTHING tail are copied straight into the table, and a row
    already stored raises IntegrityError (see `already_stored`): the caller then writes
    its batch again without `direct`."""
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) {tail}"
        cursor.executemany(sql, rows)
        return max(cursor.rowcount, 0)
    if not connection.in_atomic_block:
        # A staging table empties at each commit: in autocommit it would be empty again
        # before the INSERT read it; and a failed direct COPY must leave nothing behind.
        raise RuntimeError("a bulk insert on PostgreSQL needs a transaction")
    import psycopg

    # psycopg's errors leave as Django's, so a lost connection reads as transient
    # (vacmon.store.faults), not as a fault of the rows.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as raw:
        if direct and tail == DO_NOTHING:
            _copy(raw, table, columns, rows)
            return len(rows)
        return _copy_staged(raw, table, columns, rows, tail)


def already_stored(exc: BaseException) -> bool:
    """Whether a direct COPY failed because one of its rows is stored already."""
    return isinstance(exc, IntegrityError) and (
        getattr(exc.__cause__, "sqlstate", None) == _UNIQUE_VIOLATION
    )


def _copy_staged(
    raw: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], tail: str
) -> int:
    stage = f"vacmon_stage_{table}"
    cols = ", ".join(columns)
    made = _STAGES.setdefault(connection.connection, set())
    if stage not in made:
        raw.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
            f"SELECT {cols} FROM {table} WITH NO DATA"
        )
        # Known only once committed: a rolled-back transaction takes the table with it.
        transaction.on_commit(lambda: made.add(stage))
    _copy(raw, stage, columns, rows)
    # WHERE true: without it, ON CONFLICT could be read as part of the FROM clause.
    raw.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} WHERE true {tail}")
    written = max(raw.rowcount, 0)
    if len(connection.atomic_blocks) > 1:
        # Not the outermost transaction: the rows would stay until a commit further out,
        # and the next write in it would read them again.
        raw.execute(f"DELETE FROM {stage}")
    return written


def _copy(raw: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        write_row = copy.write_row
        for row in rows:
            write_row(row)
