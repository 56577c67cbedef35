"""The few lines of I/O behind the latest-state indices (`vacmon.store.es.state`): create
them, write each batch's newest messages, read them, rebuild them from the raw streams."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError
from elasticsearch.helpers import streaming_bulk

from factories.messages import Message
from vacmon.store.base import FactoryRef, MachinetypeRef, Scope
from vacmon.store.es import builders, parsers, state, templates

log = logging.getLogger(__name__)


class StateWriteFailed(Exception):
    """Some states of a batch did not get in."""


# How long a process that has not yet seen both indices built waits before asking again.
# Once seen built, an index stays built: it is only ever written forward.
BUILT_RECHECK = 10.0


class StateIndex:
    def __init__(
        self,
        client: Elasticsearch,
        prefix: str,
        refresh: bool | str = False,
        **bulk_options: Any,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.refresh = refresh  # as the store's: "wait_for" makes states readable at once
        self.bulk_options = bulk_options
        self._built = False
        self._checked = float("-inf")
        self._dirty = False

    def names(self) -> list[str]:
        return [state.index_name(self.prefix, t) for t in state.KEPT]

    # --- set-up --------------------------------------------------------------------------

    def ensure(self) -> None:
        """Create both indices (or bring their mappings up to date). An index created before
        any raw message of its type exists is built already: it is then marked so."""
        for message_type in state.KEPT:
            name = state.index_name(self.prefix, message_type)
            self.client.indices.put_index_template(
                name=name, **state.index_template(self.prefix, message_type)
            )
            try:
                self.client.indices.create(index=name)
            except ApiError as exc:
                if "resource_already_exists_exception" not in str(exc.body):
                    raise
                # Fields added to the schema since: the template only applies at creation.
                mappings = templates.mappings(message_type)
                self.client.indices.put_mapping(index=name, properties=mappings["properties"])
                continue
            if not self._raw_exists(message_type):
                self._mark_built(name)

    def _raw_exists(self, message_type: str) -> bool:
        try:
            answer = self.client.count(
                index=templates.stream_name(self.prefix, message_type),
                ignore_unavailable=True,
                allow_no_indices=True,
            )
        except NotFoundError:
            return False
        return int(answer.body.get("count", 0)) > 0

    def _mark_built(self, name: str) -> None:
        self.client.index(index=name, id=state.BUILT_ID, document=state.built_doc())

    def forget_built(self) -> None:
        """The indices went missing (deleted by hand): read from the raw streams again until
        a rebuild marks them built."""
        self._built = False
        self._checked = float("-inf")

    def built(self) -> bool:
        """Whether reads may use the indices: both hold every sender's newest message."""
        if self._built:
            return True
        now = time.monotonic()
        if now - self._checked < BUILT_RECHECK:
            return False
        self._checked = now
        try:
            found = [
                self.client.exists(index=name, id=state.BUILT_ID).body for name in self.names()
            ]
        except ApiError:
            return False
        self._built = all(found)
        return self._built

    # --- writing -------------------------------------------------------------------------

    def write(self, messages: Sequence[Message]) -> None:
        """Each sender's newest message of `messages` as its state. Raise StateWriteFailed
        if any did not get in, refused for good or after every retry: the raw stream took
        it, so the state it should be is then missing."""
        if self._dirty:
            self.invalidate()
        actions = state.actions(self.prefix, messages)
        if not actions:
            return
        extra: dict[str, Any] = {"refresh": self.refresh} if self.refresh else {}
        missed: list[str] = []
        for ok, item in streaming_bulk(
            self.client, actions, raise_on_error=False, **self.bulk_options, **extra
        ):
            result = parsers.bulk_item(ok, item)
            # A 409 is a state newer than this message: nothing to do.
            if result.outcome not in ("inserted", "duplicate"):
                missed.append(f"{result.status} {result.reason}")
        if missed:
            raise StateWriteFailed(f"{len(missed)} not written, the first: {missed[0]}")

    def invalidate(self) -> None:
        """Some states may be missing: unmark both indices, so that every reader goes back
        to the raw streams until `rebuild` (store maintenance) marks them built again. If
        the cluster cannot be told now, it is told before this process's next write."""
        self._dirty = True
        self.forget_built()
        for name in self.names():
            try:
                self.client.delete(index=name, id=state.BUILT_ID)
            except NotFoundError:
                continue
        self._dirty = False

    # --- reading -------------------------------------------------------------------------

    def latest(
        self, message_type: str, *, since: int, scope: Scope, fields: Sequence[str] | None
    ) -> list[Message]:
        """The states of `message_type` in `scope` received since `since`, in entity order."""
        sources = self._sources(message_type, since, scope, builders.source_includes(fields))
        return [parsers.message_from_source(s, fields is not None) for s in sources]

    def factories(self, *, since: int, scope: Scope) -> list[FactoryRef]:
        return [
            FactoryRef(s["site"], s["space"], s["factory"], _received(s))
            for s in self._sources("factory_status", since, scope, state.SENDER_SOURCE)
        ]

    def machinetypes(self, *, since: int, scope: Scope) -> list[MachinetypeRef]:
        return [
            MachinetypeRef(
                s["site"], s["space"], s["factory"], s["machinetype"], s.get("vo"), _received(s)
            )
            for s in self._sources("machinetype_status", since, scope, state.SENDER_SOURCE)
        ]

    def _sources(
        self, message_type: str, since: int, scope: Scope, source: Sequence[str]
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        after: list[Any] | None = None
        while True:
            body = state.states_query(
                message_type, since=since, scope=scope, source=source, search_after=after
            )
            answer = self.client.search(
                index=state.index_name(self.prefix, message_type),
                filter_path=state.STATES_FILTER_PATH,
                **body,
            ).body
            hits = (answer.get("hits") or {}).get("hits") or []
            out.extend(hit["_source"] for hit in hits)
            if len(hits) < state.PAGE:
                return out
            after = hits[-1]["sort"]

    # --- rebuilding and purging --------------------------------------------------------

    def rebuild(self, newest: Callable[[str], list[Message]]) -> None:
        """Write every sender's newest raw message (`newest(message_type)`, the raw
        streams' latest state) as its state, then mark the index built. Writes that arrive
        meanwhile are versioned as this is, so whichever comes last, the newest stays."""
        for message_type in state.KEPT:
            name = state.index_name(self.prefix, message_type)
            if self.client.exists(index=name, id=state.BUILT_ID).body:
                continue
            messages = newest(message_type)
            self.write(messages)
            self._mark_built(name)
            log.info("latest-state index %s built from %d senders", name, len(messages))
        self._built = True

    def purge(self, before: int) -> None:
        """Forget the states received before `before`, as the raw messages are. By id, not
        by query: an index of one document per sender is small, and a cluster without the
        reindex module (no _delete_by_query) can do this too."""
        for message_type in state.KEPT:
            name = state.index_name(self.prefix, message_type)
            try:
                answer = self.client.search(
                    index=name, filter_path=["hits.hits._id"], **state.older_query(before)
                ).body
            except NotFoundError:
                continue  # not made yet
            while hits := (answer.get("hits") or {}).get("hits") or []:
                ids = [hit["_id"] for hit in hits]
                self.client.bulk(
                    operations=[{"delete": {"_index": name, "_id": i}} for i in ids], refresh=True
                )
                if len(hits) < state.PAGE:
                    break
                answer = self.client.search(
                    index=name, filter_path=["hits.hits._id"], **state.older_query(before)
                ).body


def _received(source: dict[str, Any]) -> int:
    return int(source["raw"]["time_received"])
