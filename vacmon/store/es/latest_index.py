"""The few lines of I/O behind the latest-state index (`vacmon.store.es.latest`): create
it, read it, mark it dirty, and rebuild it from the raw messages."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from elasticsearch import ApiError, ConflictError, Elasticsearch, NotFoundError, TransportError
from elasticsearch.helpers import bulk

from factories.messages import Message
from vacmon.store.base import Scope
from vacmon.store.es import batch, builders, latest, paging, parsers, side_index, templates
from vacmon.store.es.side_index import SearchRaw

log = logging.getLogger(__name__)
R = TypeVar("R")


class LatestIndex:
    def __init__(self, client: Elasticsearch, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.index = latest.index_name(prefix)
        self._ready = False

    def ensure(self) -> None:
        """Install the template and create the index (idempotent), once per process. The
        process that creates it writes the state document: clean if no raw message exists
        yet, else dirty since 0, for `maintain` to build it from them."""
        if self._ready:
            return
        if side_index.create(self.client, self.index, latest.template_body(self.prefix)):
            existing = any(
                self.client.indices.exists(index=templates.stream_name(self.prefix, t)).body
                for t in latest.TYPES
            )
            self._set_state(0 if existing else None)
        self._ready = True

    # --- reading -------------------------------------------------------------------------

    def read(
        self, message_type: str, *, since: int, scope: Scope, fields: Sequence[str] | None
    ) -> list[Message] | None:
        """The newest message of each sender of `message_type` received since `since`, or
        None if the index does not hold them all (not built, dirty, or unreachable as an
        index), for the caller to read the raw messages instead."""
        out: list[Message] = []
        after: list[Any] | None = None
        while True:
            body = latest.read_query(
                message_type, since=since, scope=scope, fields=fields, after=after
            )
            try:
                answer = batch.search(
                    self.client, index=self.index, filter_path=latest.READ_FILTER_PATH, **body
                )
            except NotFoundError:
                return None  # no index yet: a cluster written to by an older VacMon
            page = latest.read_page(answer, first=after is None, projected=fields is not None)
            if page is None:
                return None
            found, after = page
            out.extend(found)
            if after is None or len(answer["hits"]["hits"]) < body["size"]:
                return out

    def senders(
        self,
        message_type: str,
        *,
        since: int,
        scope: Scope,
        parse: Callable[[Any], tuple[list[R], dict[str, Any] | None]],
    ) -> list[R] | None:
        """Every sender of `message_type` heard from since `since`, by aggregation over
        the index (no document fetched), or None if the index does not hold them all."""
        out: list[R] = []
        after: dict[str, Any] | None = None
        while True:
            body = latest.senders_query(message_type, since=since, scope=scope, after=after)
            try:
                answer = batch.search(
                    self.client, index=self.index, filter_path=latest.SENDERS_FILTER_PATH, **body
                )
            except NotFoundError:
                return None
            if after is None and not latest.is_clean(answer):
                return None
            page, after = parse(paging.end_short_pages(body, answer))
            out.extend(page)
            if after is None:
                return out

    # --- writing -------------------------------------------------------------------------

    def mark_dirty(self, since: int) -> None:
        """Send reads to the raw messages until `maintain` has rebuilt what was received
        since `since`. Best effort: a failure is logged (the write it follows already is)."""
        try:
            for _ in range(5):
                found = self._get_state()
                current = latest.dirty_since_of(found[0] if found else None)
                wanted = since if current is None else min(current, since)
                if found is not None and current == wanted:
                    return
                try:
                    self._set_state(wanted, found)
                    return
                except ConflictError:
                    continue  # changed since read: read it again
        except (ApiError, TransportError) as exc:
            log.error("could not mark the latest-state index for rebuilding: %s", exc)

    # --- rebuilding ----------------------------------------------------------------------

    def maintain(self, search_raw: SearchRaw) -> None:
        """Rebuild each sender's newest message from the raw messages received since the
        state's `dirty_since`, then mark the state clean unless it changed meanwhile."""
        self.ensure()
        found = self._get_state()  # a GET is real-time: no refresh needed first
        since = latest.dirty_since_of(found[0] if found else None)
        if since is None:
            return
        for message_type in latest.TYPES:
            after: dict[str, Any] | None = None
            while True:
                query = builders.latest_query(
                    message_type, since=since, until=None, scope=Scope(), after=after
                )
                body = search_raw(message_type, query, builders.LATEST_FILTER_PATH)
                messages, after = parsers.latest_page(body)
                if messages and not self._rebuilt(messages):
                    return  # still dirty: the next maintain tries again
                if after is None:
                    break
        try:
            self._set_state(None, found)
        except ConflictError:
            log.info("the latest-state index was marked again while rebuilt; next time")
        self.client.indices.refresh(index=self.index)

    def _rebuilt(self, messages: list[Message]) -> bool:
        _, errors = bulk(self.client, latest.actions(self.prefix, messages), raise_on_error=False)
        # A 409 is a newer message there already: the outcome wanted.
        items = errors if isinstance(errors, list) else []
        refused = [e for e in items if parsers.bulk_item(False, e).status != 409]
        if refused:
            log.error("rebuilding the latest-state index: %d refused: %s", len(refused), refused[0])
        return not refused

    # --- the state document --------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], int, int] | None:
        try:
            answer = self.client.get(index=self.index, id=latest.STATE_ID).body
        except NotFoundError:
            return None
        return answer.get("_source") or {}, answer["_seq_no"], answer["_primary_term"]

    def _set_state(
        self, dirty_since: int | None, found: tuple[dict[str, Any], int, int] | None = None
    ) -> None:
        """Write the state, only over the version read (or only if none exists)."""
        doc = latest.state_doc(dirty_since)
        if found is None:
            self.client.index(index=self.index, id=latest.STATE_ID, document=doc, op_type="create")
        else:
            self.client.index(
                index=self.index,
                id=latest.STATE_ID,
                document=doc,
                if_seq_no=found[1],
                if_primary_term=found[2],
            )
