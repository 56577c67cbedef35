"""Ingest counters: kept in memory by each process and flushed to the database so the web
process (API, /metrics) sees what the UDP listener counted."""

from __future__ import annotations

import threading
from collections import Counter

from django.db import transaction
from django.db.models import F

from vacmon.models import IngestCounter


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

    def flush(self) -> None:
        """Add the pending deltas to the database rows."""
        with self._lock:
            pending, self._pending = self._pending, Counter()
        if not pending:
            return
        with transaction.atomic():
            for (channel, name, reason), n in pending.items():
                updated = IngestCounter.objects.filter(
                    channel=channel, name=name, reason=reason
                ).update(value=F("value") + n)
                if not updated:
                    IngestCounter.objects.create(channel=channel, name=name, reason=reason, value=n)


def read_all() -> dict[tuple[str, str, str], int]:
    return {
        (c.channel, c.name, c.reason): c.value
        for c in IngestCounter.objects.all().order_by("channel", "name", "reason")
    }
