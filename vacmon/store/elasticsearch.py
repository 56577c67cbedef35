"""The Elasticsearch store: one data stream per message type, written with streaming_bulk.

This class only moves bodies between the pure builders/parsers in `vacmon.store.es` and the
official client. Writes that the cluster cannot take (unreachable, refused credentials,
429/5xx after retries with backoff) go to a disk spool and are replayed in order later, so a
message the listener accepted is never lost while the spool has room.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError
from elasticsearch.helpers import streaming_bulk

from factories.messages import MESSAGE_TYPES, Message
from vacmon.store import heartbeats, summed
from vacmon.store.base import (
    ENTITY,
    ChartQuery,
    EntityBuckets,
    FactoryRef,
    MachinetypeRef,
    Scope,
    Series,
    WriteResult,
)
from vacmon.store.es import (
    batch,
    builders,
    capabilities,
    latest,
    outcomes,
    paging,
    parsers,
    rollups,
    templates,
    wide,
)
from vacmon.store.es.bulk import (
    BulkOutcome,
    Unavailable,
    describe,
    setup_failure,
    status_of,
    still_waiting,
)
from vacmon.store.es.client import EsSettings, make_client, read_settings
from vacmon.store.es.latest_index import LatestIndex
from vacmon.store.es.rollup_index import RollupIndex
from vacmon.store.es.spool import Spool
from vacmon.store.heartbeats import FactoryHealth
from vacmon.store.series import combine, group_series
from vacmon.store.shutdowns import Shutdown

__all__ = ["BulkOutcome", "ElasticsearchStore", "Unavailable"]

log = logging.getLogger(__name__)

RETRY_ON_STATUS = (429, 500, 502, 503, 504)
# Whole-request answers that no retry can fix: a spooled segment that draws one is moved to
# the rejected file instead of blocking the spool forever.
_POISON_STATUS = (400, 413)
MAX_REPLAY_WAIT = 300.0
R = TypeVar("R")
# How long after a shutdown the messages naming it may be received: a factory cycle or two.
OUTCOME_REPORT_SLACK = 3600


class ElasticsearchStore:
    name = "elasticsearch"

    def __init__(
        self,
        client: Elasticsearch,
        *,
        prefix: str = "vacmon-",
        lifecycle: str = "dsl",
        retention: str = "30d",
        spool: Spool | None = None,
        refresh: bool | str = False,
        max_retries: int = 3,
        initial_backoff: float = 1.0,
        max_backoff: float = 30.0,
        replay_every: float = 5.0,
        chunk_size: int = 1000,
        settings: EsSettings | None = None,
    ) -> None:
        self.client = client
        self.prefix = templates.check_prefix(prefix)
        self.lifecycle = lifecycle
        self.retention = templates.check_retention(retention)
        self.spool = spool
        self.refresh = refresh  # "wait_for" makes writes visible to the next read (tests)
        self.max_retries = max_retries
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.replay_every = replay_every
        self.chunk_size = chunk_size
        self.settings = settings
        self.spooled_total = 0
        self.replayed_total = 0
        self.rejected_total = 0
        self.rollups = RollupIndex(client, self.prefix)
        self.latest_index = LatestIndex(client, self.prefix)
        self._ready = False
        self._last_replay = float("-inf")
        self._replay_failures = 0

    @classmethod
    def from_settings(cls) -> ElasticsearchStore:
        from django.conf import settings

        conf = read_settings(settings)
        return cls(
            make_client(conf),
            prefix=conf.prefix,
            lifecycle=conf.lifecycle,
            retention=conf.retention,
            spool=Spool(conf.spool_dir, conf.spool_max_bytes),
            settings=conf,
        )

    @property
    def spool_overflow_total(self) -> int:
        """Messages dropped because the spool was full: alarm on any increase."""
        return self.spool.overflowed if self.spool is not None else 0

    def spooled(self) -> tuple[int, int]:
        if self.spool is None:
            return 0, 0
        return self.spool.size(), len(self.spool.segments())

    def close(self) -> None:
        self.client.close()

    # --- set-up ------------------------------------------------------------------------

    def ensure_setup(self) -> None:
        """Install the lifecycle policy, settings component and index templates (idempotent
        PUTs) once per process, before the first write can auto-create a data stream."""
        if self._ready:
            return
        p = self.prefix
        if self.lifecycle == "ilm":
            self.client.ilm.put_lifecycle(
                name=templates.ilm_policy_name(p), **templates.ilm_policy(self.retention)
            )
        self.client.cluster.put_component_template(
            name=templates.settings_component_name(p),
            **templates.settings_component(p, self.lifecycle),
        )
        for message_type in MESSAGE_TYPES:
            body = templates.index_template(
                p, message_type, lifecycle=self.lifecycle, retention=self.retention
            )
            self.client.indices.put_index_template(
                name=templates.template_name(p, message_type), **body
            )
        if self.lifecycle == "dsl":
            self._update_stream_retention()
        self.latest_index.ensure()
        self._ready = True

    def _update_stream_retention(self) -> None:
        # A data stream copies its lifecycle from the template when it is created; a changed
        # retention setting must be pushed to streams that already exist.
        for stream in templates.all_streams(self.prefix):
            try:
                self.client.indices.put_data_lifecycle(name=stream, data_retention=self.retention)
            except NotFoundError:
                continue

    # --- writing -----------------------------------------------------------------------

    def prepare(self, messages: Sequence[Message]) -> Sequence[Message]:
        # Nothing to do ahead: the cluster takes writes side by side, no lock to stay out of.
        return messages

    def write(self, messages: Sequence[Message]) -> WriteResult:
        """Store a batch. Messages put in the spool count as inserted: they are durably
        accepted and will be sent (or found to be duplicates) on replay."""
        if not messages:
            return WriteResult(inserted=0, duplicates=0)
        if self.spool is not None:
            self._maybe_replay()
            if self.spool.pending():
                # Nothing may overtake the backlog, or replay would deliver out of order.
                kept = self._to_spool(list(messages), "older messages are waiting in the spool")
                return WriteResult(inserted=kept, duplicates=0)
        try:
            outcome = self.send_now(messages)
        except Unavailable as exc:
            if self.spool is None or exc.status in _POISON_STATUS:
                # A refused request is about its data: the caller splits the batch to find
                # the message (vacmon.ingest.isolate); spooling it would only refuse again.
                raise
            kept = self._to_spool(exc.unsent, str(exc))
            return WriteResult(exc.outcome.inserted + kept, exc.outcome.duplicates)
        kept = self._settle(outcome)
        return WriteResult(
            inserted=outcome.inserted + kept,
            duplicates=outcome.duplicates,
            refused=tuple(outcome.failed),
        )

    def send_now(self, messages: Sequence[Message]) -> BulkOutcome:
        """Send a batch with streaming_bulk and per-item results; raise Unavailable with the
        unconfirmed messages if the cluster cannot be reached or keeps refusing."""
        outcome = BulkOutcome()
        waiting: dict[str, list[Message]] = {}
        for message in messages:
            waiting.setdefault(builders.doc_id(message), []).append(message)
        try:
            self.ensure_setup()
        except (ApiError, TransportError) as exc:
            # A template the cluster will not take is about the cluster, not this batch:
            # status 0 keeps a replayed segment in the spool instead of rejecting it.
            raise Unavailable(setup_failure(exc, self.lifecycle), outcome, list(messages)) from exc
        late = rollups.late_since((m.time_received for m in messages), int(time.time()))
        try:
            if late is not None:
                # Before the messages, so no rollup build can miss them (rollups.py).
                self.rollups.mark_late(late, int(time.time()))
            unsure = False
            for ok, item in self._bulk(messages):
                result = parsers.bulk_item(ok, item)
                if result.index == self.latest_index.index:
                    # 409: a newer message of that sender is there already.
                    unsure |= result.outcome in ("retry", "failed")
                    continue
                if not waiting.get(result.doc_id):
                    raise parsers.UnexpectedResponse(f"a bulk item for unknown id {result.doc_id}")
                self._count(outcome, result, waiting[result.doc_id].pop(0))
            if unsure:
                self.latest_index.mark_dirty(min(m.time_received for m in messages))
        except (ApiError, TransportError, parsers.UnexpectedResponse) as exc:
            unsent = still_waiting(messages, waiting)
            raise Unavailable(describe(exc), outcome, unsent, status_of(exc)) from exc
        return outcome

    def _bulk(self, messages: Sequence[Message]) -> Any:
        extra: dict[str, Any] = {"refresh": self.refresh} if self.refresh else {}
        # The latest states first: whatever of the batch is not confirmed after an error
        # is spooled and resent whole, so no stored message can miss its latest state.
        # Each message's document is built once, for its stream and its latest state.
        created = [builders.bulk_action(self.prefix, m) for m in messages]
        stream_documents = [action["_source"] for action in created]
        actions = itertools.chain(latest.actions(self.prefix, messages, stream_documents), created)
        return streaming_bulk(
            self.client,
            actions,
            chunk_size=self.chunk_size,
            raise_on_error=False,
            max_retries=self.max_retries,
            initial_backoff=self.initial_backoff,
            max_backoff=self.max_backoff,
            retry_on_status=RETRY_ON_STATUS,
            **extra,
        )

    @staticmethod
    def _count(outcome: BulkOutcome, result: parsers.ItemResult, message: Message) -> None:
        if result.outcome == "inserted":
            outcome.inserted += 1
        elif result.outcome == "duplicate":
            outcome.duplicates += 1
        elif result.outcome == "retry":
            outcome.retry.append(message)
        else:
            outcome.failed.append((message, f"{result.status} {result.reason}"))

    def _settle(self, outcome: BulkOutcome) -> int:
        """Spool what the cluster was too busy to take. What it refused for good (a
        mapper_parsing_exception, say) goes back to the caller in WriteResult.refused."""
        if outcome.failed:
            self.rejected_total += len(outcome.failed)
            for message, reason in outcome.failed[:5]:
                log.error("elasticsearch refused %s: %s", message.key, reason)
        if not outcome.retry:
            return 0
        if self.spool is None:
            raise Unavailable("the cluster kept refusing with 429/5xx", outcome, outcome.retry)
        return self._to_spool(outcome.retry, "the cluster kept refusing with 429/5xx")

    def set_aside(self, failed: list[tuple[Message, str]]) -> None:
        self.rejected_total += len(failed)
        for message, reason in failed[:5]:
            log.error("elasticsearch refused %s: %s", message.key, reason)
        if self.spool is not None:
            self.spool.reject([builders.spool_record(m) for m, _ in failed])

    def _to_spool(self, messages: list[Message], reason: str) -> int:
        assert self.spool is not None
        kept = self.spool.append([builders.spool_record(m) for m in messages])
        self.spooled_total += kept
        log.warning("spooled %d message(s) to %s: %s", kept, self.spool.directory, reason)
        return kept

    # --- replaying the spool -----------------------------------------------------------

    def _maybe_replay(self) -> None:
        assert self.spool is not None
        # Back off while the cluster stays away: each failed attempt may have waited out a
        # request timeout, time the listener's writer thread is not draining its queue.
        wait = min(self.replay_every * 2**self._replay_failures, MAX_REPLAY_WAIT)
        if time.monotonic() - self._last_replay >= wait and self.spool.pending():
            self.replay_spool()

    def replay_spool(self) -> int:
        """Send spooled messages oldest first; stop at the first segment the cluster does
        not fully take. Return how many messages were delivered (or found duplicate)."""
        if self.spool is None:
            return 0
        self._last_replay = time.monotonic()
        delivered = 0
        with self.spool.replaying() as segments:
            for segment in segments or []:
                done = self._replay_segment(self.spool, segment)
                if done is None:
                    self._replay_failures += 1
                    break
                delivered += done
            else:
                self._replay_failures = 0
        self.replayed_total += delivered
        if delivered:
            log.info("replayed %d spooled message(s) into elasticsearch", delivered)
        return delivered

    def _replay_segment(self, spool: Spool, segment: Any) -> int | None:
        records = spool.read(segment)
        messages, unreadable = _decode(records)
        if unreadable:
            spool.reject(unreadable)
        try:
            outcome = self.send_now(messages)
        except Unavailable as exc:
            if exc.status not in _POISON_STATUS:
                log.info("elasticsearch still unavailable, spool kept: %s", exc)
                return None
            log.error("elasticsearch refuses spool segment %s for good: %s", segment, exc)
            spool.reject(records)
            spool.remove(segment)
            return 0
        if outcome.retry:
            return None  # resent whole later; what got in comes back as 409 duplicates
        if outcome.failed:
            self.set_aside(outcome.failed)
        spool.remove(segment)
        return outcome.inserted + outcome.duplicates

    # --- reading -----------------------------------------------------------------------

    def _search(
        self, message_type: str, body: dict[str, Any], filter_path: list[str] | None = None
    ) -> Any:
        index = templates.stream_name(self.prefix, message_type)
        extra: dict[str, Any] = {"filter_path": filter_path} if filter_path else {}
        # A stream that was never written to does not exist yet: that is an empty answer.
        answer = batch.search(
            self.client,
            index=index,
            ignore_unavailable=True,
            allow_no_indices=True,
            **extra,
            **body,
        )
        return paging.end_short_pages(body, answer)

    def together(self, calls: Sequence[Callable[[], R]]) -> list[R]:
        return batch.together(self.client, calls, _close_thread_connections)

    def latest(
        self,
        message_type: str,
        *,
        since: int,
        until: int | None = None,
        scope: Scope = Scope(),
        fields: Sequence[str] | None = None,
    ) -> list[Message]:
        if until is None and message_type in latest.TYPES:
            newest = self.latest_index.read(message_type, since=since, scope=scope, fields=fields)
            if newest is not None:
                return parsers.sort_by_entity(newest, ENTITY[message_type])
        found = self._all_pages(
            message_type,
            lambda after: builders.latest_query(
                message_type, since=since, until=until, scope=scope, after=after, fields=fields
            ),
            functools.partial(parsers.latest_page, projected=fields is not None),
            builders.LATEST_FILTER_PATH,
        )
        return parsers.sort_by_entity(found, ENTITY[message_type])

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
        out: list[Message] = []
        seen: set[str] = set()
        after: list[Any] | None = None
        while len(out) < limit:
            size = min(limit - len(out), builders.MAX_WINDOW)
            body = builders.history_query(
                message_type,
                since=since,
                until=until,
                scope=scope,
                size=size,
                search_after=after,
                fields=fields,
            )
            answer = self._search(message_type, body, builders.HISTORY_FILTER_PATH)
            page, after = parsers.history_page(answer, projected=fields is not None)
            for key, message in page:
                # A message resent across a rollover lands in two backing indices.
                if key not in seen:
                    seen.add(key)
                    out.append(message)
            if len(page) < size or after is None:
                break
        return out[:limit]

    def chart(self, query: ChartQuery) -> dict[str, Series]:
        query.check()
        if summed.is_summed(query.interval, query.stale_seconds):
            # Summed per group and uncarried, as the embedded store charts these widths.
            sums = self._wide_sums(query)
            return {
                metric: group_series(
                    rollups.totals(sums[metric]),
                    since=query.since,
                    until=query.until,
                    interval=query.interval,
                )
                for metric in query.metrics
            }
        found = self._sender_buckets(query)
        return {
            metric: combine(
                found[metric],
                since=query.since,
                until=query.until,
                interval=query.interval,
                stale_seconds=query.stale_seconds,
            )
            for metric in query.metrics
        }

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
    ) -> dict[str, list[EntityBuckets]]:
        """Per-sender bucket averages of several metrics, `lookback` seconds before `since`
        searched for each sender's last sample (what `chart` carries and sums)."""
        query = ChartQuery(
            message_type, tuple(metrics), group_by, since, until, interval, scope, lookback
        )
        return self._sender_buckets(query)

    def _sender_buckets(self, q: ChartQuery) -> dict[str, list[EntityBuckets]]:
        acc = parsers.BucketAccumulator(ENTITY[q.message_type], q.group_by, q.metrics)

        def add(body: Any) -> tuple[dict[str, Any] | None, int]:
            return acc.add_page(body), acc.filled

        self._paged_buckets(q, add)
        return acc.result(since=q.since, interval=q.interval)

    def _wide_sums(self, q: ChartQuery) -> rollups.Sums:
        """Built buckets from the rollups where they cover the chart, the rest (the newest
        buckets, after the watermark) from the raw messages."""
        first = q.since - q.since % q.interval
        sums: rollups.Sums = {m: {} for m in q.metrics}
        at = first
        if summed.covers(q.group_by, q.interval, q.scope):
            built = self.rollups.built_until(q.interval)
            if built > first:
                self.rollups.read(sums, q, first=first, before=min(built, q.until + 1))
                at = built
        if at <= q.until:

            def add(body: Any) -> tuple[dict[str, Any] | None, int]:
                return wide.add_sender_page(sums, q.metrics, q.group_by, body)

            self._paged_buckets(dataclasses.replace(q, since=at, stale_seconds=0), add)
        return sums

    def _paged_buckets(
        self, q: ChartQuery, add: Callable[[Any], tuple[dict[str, Any] | None, int]]
    ) -> None:
        """Every metric in one composite aggregation, paged: the first page sized for
        senders that fill every bucket, the next ones for what the last page held. The
        query's `stale_seconds` is how far before `since` each sender's last sample is
        searched for."""
        worst = builders.buckets_page_size(q.since, q.until, q.interval, q.stale_seconds)
        page, after = worst, None
        while True:
            query = functools.partial(
                builders.buckets_query,
                q.message_type,
                q.metrics,
                group_by=q.group_by,
                since=q.since,
                until=q.until,
                interval=q.interval,
                scope=q.scope,
                lookback=q.stale_seconds,
                after=after,
            )
            try:
                body = self._search(q.message_type, query(page=page), builders.BUCKETS_FILTER_PATH)
            except ApiError as exc:
                if page == worst or not parsers.too_many_buckets(exc.body):
                    raise
                # Senders fuller than the last page's: this page again, at the safe size.
                body = self._search(q.message_type, query(page=worst), builders.BUCKETS_FILTER_PATH)
            after, filled = add(body)
            if after is None:
                return
            page = builders.next_page_size(worst, filled)

    def maintain(self, now: int) -> None:
        """Periodic upkeep: rebuild the latest-state index if it is dirty, and bring the
        chart rollups up to `now`. Raw retention is the data stream lifecycle's (or the
        operator's) job, so nothing is purged here."""
        self.latest_index.maintain(self._search)
        self.rollups.maintain(now, self._search)

    def shutdowns(
        self, *, since: int, until: int, scope: Scope = Scope(), limit: int = 1000
    ) -> list[Shutdown]:
        # Each outcome once, by aggregation over the messages that can name it (an outcome
        # is reported after its shutdown, by every message until the next one).
        if limit <= 0:
            return []
        found = outcomes.Outcomes(limit)
        after: dict[str, Any] | None = None
        while not found.complete():
            body = outcomes.query(
                since=since,
                until=until,
                received_until=until + OUTCOME_REPORT_SLACK,
                scope=scope,
                after=after,
            )
            after = found.add_page(self._search("machinetype_status", body, outcomes.FILTER_PATH))
            if after is None:
                break
        return found.result()

    def heartbeats(
        self, *, since: int, until: int, interval: int, scope: Scope = Scope(), limit: int = 1000
    ) -> FactoryHealth:
        # From the newest `limit` messages themselves: ages are differences of two fields
        # of one document, which an aggregation could only reach through a script.
        newest = self.history(
            "factory_status",
            since=since,
            until=until,
            scope=scope,
            limit=limit,
            fields=heartbeats.FIELDS,
        )
        return heartbeats.from_messages(newest, interval)

    def factories(self, *, since: int, scope: Scope = Scope()) -> list[FactoryRef]:
        found = self.latest_index.senders(
            "factory_status", since=since, scope=scope, parse=parsers.factories_page
        )
        if found is not None:
            return found
        return self._all_pages(
            "factory_status",
            lambda after: builders.factories_query(since=since, scope=scope, after=after),
            parsers.factories_page,
            builders.SENDERS_FILTER_PATH,
        )

    def machinetypes(self, *, since: int, scope: Scope = Scope()) -> list[MachinetypeRef]:
        found = self.latest_index.senders(
            "machinetype_status", since=since, scope=scope, parse=parsers.machinetypes_page
        )
        if found is not None:
            return parsers.newest_vo(found, scope.vo)
        # From the raw messages, asked for every VO: a sender whose VO changed is then
        # found under each, and listed once under its newest one (filtered by the scope's
        # VO only after that).
        every_vo = dataclasses.replace(scope, vo=None)
        refs = self._all_pages(
            "machinetype_status",
            lambda after: builders.machinetypes_query(since=since, scope=every_vo, after=after),
            parsers.machinetypes_page,
            builders.SENDERS_FILTER_PATH,
        )
        return parsers.newest_vo(refs, scope.vo)

    def _all_pages(
        self,
        message_type: str,
        query: Callable[[dict[str, Any] | None], dict[str, Any]],
        parse: Callable[[Any], tuple[list[R], dict[str, Any] | None]],
        filter_path: list[str] | None = None,
    ) -> list[R]:
        """Every page of a composite aggregation, following `after_key`."""
        out: list[R] = []
        after: dict[str, Any] | None = None
        while True:
            page, after = parse(self._search(message_type, query(after), filter_path))
            out.extend(page)
            if after is None:
                return out

    def purge(self, *, before: int) -> int:
        """Delete raw messages received before `before`. Retention is normally the
        lifecycle's job; this is for operators and the store contract."""
        try:
            response = self.client.delete_by_query(
                index=",".join(templates.all_streams(self.prefix)),
                query=builders.purge_query(before),
                conflicts="proceed",
                ignore_unavailable=True,
                allow_no_indices=True,
                refresh=True,
            )
            # The latest states recorded by those messages go too, as in the embedded store
            # (the state document has no time, so it stays).
            self.client.delete_by_query(
                index=self.latest_index.index,
                query=builders.purge_query(before),
                conflicts="proceed",
                ignore_unavailable=True,
                allow_no_indices=True,
                refresh=True,
            )
        except ApiError as exc:
            if capabilities.missing_handler(exc.status_code, exc.body):
                raise capabilities.Unsupported(
                    "this cluster has no _delete_by_query API (the reindex module), so "
                    "messages cannot be purged by time; delete old backing indices instead"
                ) from exc
            raise
        return parsers.deleted_count(response.body)


def _decode(records: list[str]) -> tuple[list[Message], list[str]]:
    messages, unreadable = [], []
    for record in records:
        try:
            messages.append(parsers.message_from_record(record))
        except ValueError:
            unreadable.append(record)
    return messages, unreadable


def _close_thread_connections() -> None:
    """A read's thread ends: close the database connections it opened, if any (a
    connection belongs to the thread that opened it and would stay open otherwise)."""
    from django.db import connections

    connections.close_all()
