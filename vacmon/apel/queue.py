"""The order of the APEL outbox: record ids, handed out and committed one writer at a time.

A batch is a range of a header's queue (vacmon.models.apel), and what waits is whatever
lies past the last cut. That only holds if no record can ever commit below a cut, so
every writer of forwarded records and every cutter holds `queue_lock` from before the
rows get their ids until its commit. On SQLite each write transaction is IMMEDIATE and
so already alone; on PostgreSQL a transaction-scoped advisory lock does the same, else
an upload that took ids 1-1000 could commit after a cut of 1001-2000 and be skipped.
"""

from __future__ import annotations

from django.db import connection

# Any constant of our own: the lock's name among PostgreSQL advisory locks.
_LOCK_KEY = 0x41504C51  # "APLQ"


def queue_lock() -> None:
    """Hold the outbox's queue until the current transaction ends (call inside atomic)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
