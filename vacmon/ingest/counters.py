"""Ingest counters: kept in memory by each process and flushed to the database so the web
process (API, /metrics) sees what the UDP listener counted."""

from __future__ import annotations

import logging
import threading
from collections import Counter

from django.db import DatabaseError, connection, transaction

from vacmon.models import IngestCounter

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
