"""Where name_budget refusals are kept for the site's admin page: NameBudgetRefusal rows.

A flood is refused message by message, so refusals are added up in memory and written at
most every FLUSH_SECONDS (and at the first one), never one database write per message.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import UTC, datetime

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F

from vacmon.ingest.names import NameBudget
from vacmon.models import NameBudgetRefusal, Site

log = logging.getLogger("vacmon.ingest")

FLUSH_SECONDS = 30.0
MAX_PENDING = 10_000  # distinct (site, source) pairs kept between two writes


class RefusalLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Counter[tuple[str, str]] = Counter()
        self._last_flush = 0.0

    def __call__(self, site: str, source: str, now: float) -> None:
        with self._lock:
            key = (site, source[:64])
            if key in self._pending or len(self._pending) < MAX_PENDING:
                self._pending[key] += 1
            else:
                self._pending[("", "(many sources)")] += 1
            due = now - self._last_flush >= FLUSH_SECONDS
        if due:
            self.flush(now)

    def flush(self, now: float) -> None:
        with self._lock:
            pending, self._pending = self._pending, Counter()
            self._last_flush = now
        if not pending:
            return
        try:
            _write(pending, datetime.fromtimestamp(now, UTC))
        except DatabaseError:
            log.exception("could not save name_budget refusals; keeping them")
            with self._lock:
                self._pending.update(pending)


def _write(pending: Counter[tuple[str, str]], at: datetime) -> None:
    registered = set(
        Site.objects.filter(name__in={site for site, _ in pending}).values_list("name", flat=True)
    )
    # Names of no registered site fold into one row per source.
    folded: Counter[tuple[str, str]] = Counter()
    for (site, source), n in pending.items():
        folded[(site if site in registered else "", source)] += n
    for (site, source), n in folded.items():
        rows = NameBudgetRefusal.objects.filter(site=site, source=source)
        if rows.update(refused=F("refused") + n, last_refused_at=at):
            continue
        try:
            with transaction.atomic():
                NameBudgetRefusal.objects.create(
                    site=site, source=source, refused=n, first_refused_at=at, last_refused_at=at
                )
        except IntegrityError:  # another process created it meanwhile
            rows.update(refused=F("refused") + n, last_refused_at=at)


def budget_from_settings() -> NameBudget | None:
    """The budget of one ingest process; None while VACMON_NAME_BUDGET is 0 (off)."""
    per_hour = int(getattr(settings, "VACMON_NAME_BUDGET", 0))
    return NameBudget(per_hour, on_refused=RefusalLog()) if per_hour > 0 else None
