"""What ingest counted: message counters and store write statistics.

Both are kept in memory by each process that ingests (UDP workers, web workers) and folded
into database rows, so the web process (the API, /metrics) sees what every process counted.
A fold that fails keeps its deltas for the next one: counting must never cost a message.
This module owns both; vacmon.ops.metrics only reads them (`read_all`, `read_writes`).
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections import Counter

from django.db import DatabaseError, connection, transaction

from vacmon.models import IngestCounter
from vacmon.models.ops import StoreWriteStat

log = logging.getLogger("vacmon.ingest")


class Counters:
    """Thread-safe counters keyed by (channel, name, reason)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Counter[tuple[str, str, str]] = Counter()
        self.totals: Counter[tuple[str, str, str]] = Counter()

    def add(self, channel: str, name: str, reason: str = "", n: int = 1) -> None:
        if n <= 0:
            return
        key = (channel, name, reason)
        with self._lock:
            self._pending[key] += n
            self.totals[key] += n

    def total(self, channel: str, name: str, reason: str = "") -> int:
        with self._lock:
            return self.totals[(channel, name, reason)]

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def flush(self) -> bool:
        """Add the pending deltas to the database rows; on failure keep them for the next
        flush (a counter must never cost a message) and return False."""
        with self._lock:
            pending, self._pending = self._pending, Counter()
        if not pending:
            return True
        table = IngestCounter._meta.db_table
        # One upsert per key: several processes (listener workers, web workers) add to the
        # same rows, and a read-then-create would race.
        sql = (
            f"INSERT INTO {table} (channel, name, reason, value) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT (channel, name, reason) DO UPDATE SET value = {table}.value + "
            "excluded.value"
        )
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, [(*key, n) for key, n in pending.items()])
        except DatabaseError:
            log.exception("could not save ingest counters; keeping them for the next flush")
            with self._lock:
                self._pending.update(pending)
            return False
        return True


def read_all() -> dict[tuple[str, str, str], int]:
    return {
        (c.channel, c.name, c.reason): c.value
        for c in IngestCounter.objects.all().order_by("channel", "name", "reason")
    }


# --- Store write latency: histogram rows in StoreWriteStat --------------------------------

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
INF = "+Inf"
SUM = "sum"
MESSAGES = "messages"


def bucket_key(seconds: float) -> str:
    index = bisect.bisect_left(BUCKETS, seconds)
    return repr(BUCKETS[index]) if index < len(BUCKETS) else INF


class WriteStats:
    """One process's write latency deltas, folded into the shared rows with
    `value = value + delta`, so any number of writers share them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Counter[str] = Counter()

    def record(self, seconds: float, n: int) -> None:
        with self._lock:
            self._pending[bucket_key(max(seconds, 0.0))] += 1
            self._pending[SUM] += max(seconds, 0.0)
            self._pending[MESSAGES] += n

    def flush(self) -> bool:
        with self._lock:
            pending, self._pending = self._pending, Counter()
        if not pending:
            return True
        table = StoreWriteStat._meta.db_table
        # One upsert for every key: it is paid once per stored batch, and any number of
        # processes add to the same rows.
        sql = (
            f"INSERT INTO {table} (key, value) VALUES (%s, %s) ON CONFLICT (key) "
            f"DO UPDATE SET value = {table}.value + excluded.value"
        )
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, [(key, float(n)) for key, n in pending.items()])
        except DatabaseError:
            log.warning("could not record store write latency; keeping it for later")
            with self._lock:
                self._pending.update(pending)
            return False
        return True


_writes = WriteStats()


def record_write(seconds: float, n: int) -> None:
    """Record one store write of `n` messages that took `seconds`; call once per batch."""
    _writes.record(seconds, n)
    _writes.flush()


def flush_writes() -> bool:
    """Retry deltas a failed record_write kept (e.g. at listener shutdown)."""
    return _writes.flush()


def read_writes() -> tuple[list[tuple[str, float]], float, float]:
    """Cumulative buckets (le, count) ending with +Inf, the sum of seconds, and messages."""
    rows = dict(StoreWriteStat.objects.values_list("key", "value"))
    cumulative: list[tuple[str, float]] = []
    running = 0.0
    for le in BUCKETS:
        running += rows.get(repr(le), 0.0)
        cumulative.append((repr(le), running))
    cumulative.append((INF, running + rows.get(INF, 0.0)))
    return cumulative, rows.get(SUM, 0.0), rows.get(MESSAGES, 0.0)
