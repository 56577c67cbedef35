"""Many rows into one table in one go, the cheapest way each database offers.

SQLite runs executemany in C inside the process: one prepared statement, bound per row.

On PostgreSQL every statement costs the server a parse, a plan and an executor start, so a
statement per row spent most of a write in the server (bench/ingest_profile.py: about three
rows a message, 70 % of the listener's time waiting). Rows go in by COPY instead, which the
server reads as one stream: straight into the table when that can work, or into a temporary
staging table first when the statement needs ON CONFLICT, which COPY has not. psycopg
formats COPY rows in C, a fraction of what binding parameters costs the client.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

# The tail that skips rows already stored; only it lets rows try COPY straight in.
DO_NOTHING = "ON CONFLICT DO NOTHING"


def insert_many(
    cursor: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], tail: str
) -> int:
    """INSERT every row of `rows` into `table`, ending the statement with `tail` (an ON
    CONFLICT clause); return how many rows the database reports written."""
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) {tail}"
        cursor.executemany(sql, rows)
        return max(cursor.rowcount, 0)
    # psycopg's errors leave as Django's, so a lost connection reads as transient
    # (vacmon.store.faults) and not as a fault of the rows.
    with connection.wrap_database_errors:
        if tail == DO_NOTHING:
            copied = _copy_unless_stored(table, columns, rows)
            if copied is not None:
                return copied
        return _copy_staged(table, columns, rows, tail)


def _copy_unless_stored(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int | None:
    """COPY the rows straight into `table`, in a savepoint; None (and nothing written) when
    one of them is stored already. Rows that repeat a stored one are rare (the parser drops
    recent repeats), so the staged way, which costs the server about half as much again,
    is kept for the batches that hold them."""
    import psycopg

    try:
        with transaction.atomic(), psycopg.Cursor(connection.connection) as raw:
            _copy(raw, table, columns, rows)
    except psycopg.errors.UniqueViolation:
        return None
    return len(rows)


def _copy_staged(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], tail: str
) -> int:
    import psycopg

    if not connection.in_atomic_block:
        # The staging table empties at each commit: in autocommit it would be empty again
        # before the INSERT read it.
        raise RuntimeError("a staged COPY needs a transaction")
    stage = f"vacmon_stage_{table}"
    cols = ", ".join(columns)
    with psycopg.Cursor(connection.connection) as raw:
        # Created once per connection. Emptied at commit; emptied here as well when this
        # write is part of a larger transaction, whose later writes must not see its rows.
        raw.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
            f"SELECT {cols} FROM {table} WITH NO DATA"
        )
        _copy(raw, stage, columns, rows)
        # WHERE true: without it, ON CONFLICT could be read as part of the FROM clause.
        raw.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} WHERE true {tail}")
        written = max(raw.rowcount, 0)
        if _in_outer_transaction():
            raw.execute(f"DELETE FROM {stage}")
    return written


def _copy(raw: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        write_row = copy.write_row
        for row in rows:
            write_row(row)


def _in_outer_transaction() -> bool:
    # The writer's own atomic block is the outermost unless a caller opened one around it.
    return len(connection.atomic_blocks) > 1
