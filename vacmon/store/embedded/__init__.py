"""The embedded store: the Django ORM on SQLite (default) or PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import InterfaceError, OperationalError, connection

from factories.messages import Message
from vacmon.models import LatestStatus, MachineShutdown
from vacmon.store.base import EntityBuckets, FactoryRef, MachinetypeRef, Scope, WriteResult
from vacmon.store.embedded import buckets, heartbeats, queries, writer
from vacmon.store.embedded.tables import MODELS
from vacmon.store.heartbeats import FactoryHealth
from vacmon.store.shutdowns import Shutdown


class EmbeddedStore:
    name = "embedded"

    def write(self, messages: Sequence[Message]) -> WriteResult:
        if not messages:
            return WriteResult(inserted=0, duplicates=0)
        try:
            return writer.write(messages)
        except (InterfaceError, OperationalError):
            # A lost connection stays lost: drop it so the caller's retry opens a new one.
            connection.close_if_unusable_or_obsolete()
            raise

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

    def entity_buckets(
        self,
        message_type: str,
        metric: str,
        *,
        group_by: str,
        since: int,
        until: int,
        interval: int,
        scope: Scope = Scope(),
        lookback: int = 0,
    ) -> list[EntityBuckets]:
        return buckets.entity_buckets_many(
            message_type,
            (metric,),
            group_by=group_by,
            since=since,
            until=until,
            interval=interval,
            scope=scope,
            lookback=lookback,
            per_group=False,
        )[metric]

    def entity_buckets_many(
        self,
        message_type: str,
        metrics: Sequence[str],
        *,
        group_by: str,
        since: int,
        until: int,
        interval: int,
        scope: Scope = Scope(),
        lookback: int = 0,
        per_group: bool = False,
    ) -> dict[str, list[EntityBuckets]]:
        return buckets.entity_buckets_many(
            message_type,
            tuple(metrics),
            group_by=group_by,
            since=since,
            until=until,
            interval=interval,
            scope=scope,
            lookback=lookback,
            per_group=per_group,
        )

    def shutdowns(
        self, *, since: int, until: int, scope: Scope = Scope(), limit: int = 1000
    ) -> list[Shutdown]:
        return queries.shutdowns(since=since, until=until, scope=scope, limit=limit)

    def factory_health(
        self, *, since: int, until: int, interval: int, scope: Scope, limit: int
    ) -> FactoryHealth:
        return heartbeats.factory_health(
            since=since, until=until, interval=interval, scope=scope, limit=limit
        )

    def factories(self, *, since: int, scope: Scope = Scope()) -> list[FactoryRef]:
        return queries.factories(since=since, scope=scope)

    def machinetypes(self, *, since: int, scope: Scope = Scope()) -> list[MachinetypeRef]:
        return queries.machinetypes(since=since, scope=scope)

    def purge(self, *, before: int) -> int:
        deleted = 0
        for model in MODELS.values():
            count, _ = model.objects.filter(time_received__lt=before).delete()  # type: ignore[attr-defined]
            deleted += count
        LatestStatus.objects.filter(time_received__lt=before).delete()
        MachineShutdown.objects.filter(time_received__lt=before).delete()
        return deleted
