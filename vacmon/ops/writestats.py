"""Store write latency shared across processes: histogram rows in StoreWriteStat.

Each listener process adds its observations to in-memory deltas and folds them into the
rows with `value = value + delta`, so any number of writers can share the rows and a
scrape in the web process sees them all. A failed fold keeps the deltas for the next one:
metrics must never stop ingest.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections import Counter

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F

from vacmon.models.ops import StoreWriteStat

log = logging.getLogger("vacmon.ops")

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
INF = "+Inf"
SUM = "sum"
MESSAGES = "messages"


def bucket_key(seconds: float) -> str:
    index = bisect.bisect_left(BUCKETS, seconds)
    return repr(BUCKETS[index]) if index < len(BUCKETS) else INF


class WriteStats:
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
        try:
            with transaction.atomic():
                for key, delta in pending.items():
                    _add(key, float(delta))
        except DatabaseError:
            log.warning("could not record store write latency; keeping it for later")
            with self._lock:
                self._pending.update(pending)
            return False
        return True


def _add(key: str, delta: float) -> None:
    if StoreWriteStat.objects.filter(key=key).update(value=F("value") + delta):
        return
    try:
        with transaction.atomic():
            StoreWriteStat.objects.create(key=key, value=delta)
    except IntegrityError:
        # Another process created the row first: add to it instead.
        StoreWriteStat.objects.filter(key=key).update(value=F("value") + delta)


def read() -> tuple[list[tuple[str, float]], float, float]:
    """Cumulative buckets (le, count) ending with +Inf, the sum of seconds, and messages."""
    rows = dict(StoreWriteStat.objects.values_list("key", "value"))
    cumulative: list[tuple[str, float]] = []
    running = 0.0
    for le in BUCKETS:
        running += rows.get(repr(le), 0.0)
        cumulative.append((repr(le), running))
    cumulative.append((INF, running + rows.get(INF, 0.0)))
    return cumulative, rows.get(SUM, 0.0), rows.get(MESSAGES, 0.0)
