"""The order of the APEL outbox: record ids, handed out and committed below every cut.

A batch is a range of a header's queue (vacmon.models.apel), and what waits is whatever
lies past the last cut. That only holds if no record can ever commit below a cut, so
every writer of forwarded records and every cutter holds `queue_lock` from before the
rows get their ids until its commit. On SQLite each write transaction is IMMEDIATE and
so already alone. On PostgreSQL a transaction-scoped advisory lock does it: else an
upload that took ids 1-1000 could commit after a cut of 1001-2000 and be skipped.

Job uploads hold it shared, everything else exclusively. A cut then waits until no upload
is in flight, so every id handed out before it is committed or given up, and an upload
that starts after it takes ids from the sequence above them all. Uploads no longer take
turns: with one exclusive lock they did, and the lock was held 97 % of the time
(bench/apel.py --django --pipelined --clients 2 on PostgreSQL). Uploads for one site-month
still wait for each other's mark of that month (vacmon.apel.jobs.mark_changed), the last
step before their commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection, transaction

# Any constant of our own: the lock's name among PostgreSQL advisory locks.
_LOCK_KEY = 0x41504C51  # "APLQ"
# Uploads side by side can wait for each other's rows on the job key in opposite orders;
# PostgreSQL then ends one of them, which is run again from the start.
_DEADLOCK = "40P01"
_UPLOAD_TRIES = 3

T = TypeVar("T")


def queue_lock(*, shared: bool = False) -> None:
    """Hold the outbox's queue until the current transaction ends (call inside atomic):
    shared for a job upload (see upload), exclusively for everything else."""
    if connection.vendor == "postgresql":
        how = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {how}(%s)", [_LOCK_KEY])


def upload(work: Callable[[], T]) -> T:
    """`work()` in a transaction holding the queue shared, as job uploads store their
    records; run again when PostgreSQL ends it to break a deadlock with another upload.
    `work` must leave nothing behind but its database writes, which a retry undoes."""
    for attempt in range(1, _UPLOAD_TRIES + 1):
        try:
            with transaction.atomic():
                queue_lock(shared=True)
                return work()
        except OperationalError as error:
            if attempt == _UPLOAD_TRIES or getattr(error.__cause__, "sqlstate", "") != _DEADLOCK:
                raise
    raise AssertionError("unreachable: the last try returns or raises")
