"""The embedded store: the Django ORM on SQLite (default) or PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from factories.messages import Message
from vacmon.models import LatestStatus, MachineShutdown
from vacmon.store.base import (
    ChartQuery,
    FactoryRef,
    MachinetypeRef,
    Scope,
    Series,
    WriteResult,
)
from vacmon.store.embedded import charts, heartbeats, queries, rollups, writer
from vacmon.store.embedded.tables import MODELS
from vacmon.store.heartbeats import FactoryHealth
from vacmon.store.shutdowns import Shutdown

T = TypeVar("T")


class EmbeddedStore:
    name = "embedded"

    def prepare(self, messages: Sequence[Message]) -> Sequence[Message]:
        # The rows, built outside the write lock (vacmon.store.embedded.writer).
        return writer.prepare(messages)

    def write(self, messages: Sequence[Message]) -> WriteResult:
        if not messages:
            return WriteResult(inserted=0, duplicates=0)
        try:
            return writer.write(messages)
        except (InterfaceError, OperationalError):
            # A lost connection stays lost: drop it so the caller's retry opens a new one.
            connection.close_if_unusable_or_obsolete()
            raise

    def together(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        # Queries in this process wait for nothing that making them together would save.
        return [call() for call in calls]

    def latest(
        self,
        message_type: str,
        *,
        since: int,
        until: int | None = None,
        scope: Scope = Scope(),
        fields: Sequence[str] | None = None,
    ) -> list[Message]:
        return queries.latest(message_type, since=since, until=until, scope=scope, fields=fields)

    def history(
        self,
        message_type: str,
        *,
        since: int,
        until: int,
        scope: Scope = Scope(),
        limit: int = 1000,
        fields: Sequence[str] | None = None,
    ) -> list[Message]:
        return queries.history(
            message_type, since=since, until=until, scope=scope, limit=limit, fields=fields
        )

    def chart(self, query: ChartQuery) -> dict[str, Series]:
        return charts.chart(query)

    def shutdowns(
        self, *, since: int, until: int, scope: Scope = Scope(), limit: int = 1000
    ) -> list[Shutdown]:
        return queries.shutdowns(since=since, until=until, scope=scope, limit=limit)

    def heartbeats(
        self, *, since: int, until: int, interval: int, scope: Scope = Scope(), limit: int = 1000
    ) -> FactoryHealth:
        return heartbeats.heartbeats(
            since=since, until=until, interval=interval, scope=scope, limit=limit
        )

    def factories(self, *, since: int, scope: Scope = Scope()) -> list[FactoryRef]:
        return queries.factories(since=since, scope=scope)

    def machinetypes(self, *, since: int, scope: Scope = Scope()) -> list[MachinetypeRef]:
        return queries.machinetypes(since=since, scope=scope)

    def spooled(self) -> tuple[int, int]:
        return 0, 0  # written straight to the database: it has no spool

    def maintain(self, now: int) -> None:
        """Bring the rollups up to `now`, refresh SQLite's planner statistics, then purge
        raw messages and rollups older than their retention (VACMON_RAW_RETENTION_DAYS,
        VACMON_ROLLUP_RETENTION_DAYS)."""
        rollups.build(now)
        rollups.optimise()
        self.purge(before=now - settings.VACMON_RAW_RETENTION_DAYS * 86400)
        rollups.purge(before=now - settings.VACMON_ROLLUP_RETENTION_DAYS * 86400)

    def purge(self, *, before: int) -> int:
        """Delete raw messages (and the latest states and outcomes they recorded) received
        before `before`; return how many raw messages went."""
        deleted = 0
        for model in MODELS.values():
            count, _ = model.objects.filter(time_received__lt=before).delete()  # type: ignore[attr-defined]
            deleted += count
        LatestStatus.objects.filter(time_received__lt=before).delete()
        MachineShutdown.objects.filter(time_received__lt=before).delete()
        return deleted
