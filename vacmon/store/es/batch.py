"""Reads made together: the searches of several reads sent as one `_msearch`.

A dashboard page makes 3-13 searches, most of them independent of each other (the latest
state of factories and of machinetypes, each chart's settled and newest parts, the VO
menu). Made one after the other, each waits for the last: the node works on one search
at a time, on one core, while the web process waits. `Batch.run` runs each read in a
thread of its own; whenever every one of them is either waiting on a search or finished,
the searches waiting are sent as one `_msearch`, which the node runs side by side, and
each thread goes on with its own answer. Reads that page go on in the next round with the
others' later pages.

The threads do their Python work one at a time, in turns with the node's rounds, so the
web process and the node never compete for the machine's cores (reads made from threads
each with its own search did, and were slower at the slowest request).

A search that is not a plain one (a parameter `_msearch` does not carry per search) or
whose item in the `_msearch` answer is an error is made again by its own thread with the
client's `search`, so its answer or its exception is exactly what it would have been
alone.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from elasticsearch import Elasticsearch

T = TypeVar("T")

# Search parameters an `_msearch` header carries per search.
HEADER = frozenset(
    {
        "index",
        "ignore_unavailable",
        "allow_no_indices",
        "request_cache",
        "expand_wildcards",
        "preference",
        "routing",
        "search_type",
        "allow_partial_search_results",
    }
)
# Search parameters that go in a search's body, by the client's name for them.
BODY = {
    "query": "query",
    "aggs": "aggs",
    "aggregations": "aggregations",
    "size": "size",
    "from_": "from",
    "sort": "sort",
    "source": "_source",
    "_source": "_source",
    "search_after": "search_after",
    "track_total_hits": "track_total_hits",
    "docvalue_fields": "docvalue_fields",
    "fields": "fields",
    "stored_fields": "stored_fields",
    "collapse": "collapse",
    "post_filter": "post_filter",
    "seq_no_primary_term": "seq_no_primary_term",
    "version": "version",
    "timeout": "timeout",
    "terminate_after": "terminate_after",
    "runtime_mappings": "runtime_mappings",
}
# Asks for a cut-down answer. An `_msearch` has one filter path for every search in it, so
# a search in one gets its whole answer, which every parser here also reads.
DROPPED = frozenset({"filter_path"})


def msearch_lines(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The header and body lines of a `search(**kwargs)` in an `_msearch`, or None if a
    parameter has no place there."""
    header: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for name, value in kwargs.items():
        if name in HEADER:
            header[name] = value
        elif name in BODY:
            body[BODY[name]] = value
        elif name not in DROPPED:
            return None
    return header, body


def answer_of(item: Any) -> Mapping[str, Any] | None:
    """One search's answer from its item of an `_msearch` answer, None if it is an error
    (to be made again alone, for its own exception)."""
    if not isinstance(item, Mapping) or "error" in item or int(item.get("status", 200)) >= 300:
        return None
    return item


@dataclass(eq=False)
class _Waiting:
    lines: tuple[dict[str, Any], dict[str, Any]]
    answer: Mapping[str, Any] | None = None
    error: BaseException | None = None
    slot: int = 0  # its search's place in the round's _msearch
    done: bool = False


@dataclass(eq=False)
class _Group:
    """Reads started together; the thread that started them waits until all are done."""

    left: int
    nested: bool  # started by a read, which waits for them (not by `run`)
    results: list[Any] = field(default_factory=list)
    errors: list[BaseException | None] = field(default_factory=list)


_local = threading.local()


def search(client: Elasticsearch, **kwargs: Any) -> Any:
    """`client.search(**kwargs)`'s answer body; in a read of a batch, sent with the batch's
    next round."""
    batch = Batch.current(client)
    if batch is not None:
        answer = batch.join(kwargs)
        if answer is not None:
            return answer
    return client.search(**kwargs).body


def together(
    client: Elasticsearch, calls: Sequence[Callable[[], T]], on_thread_end: Callable[[], None]
) -> list[T]:
    """Each call's result, in order, their searches on `client` made in rounds (a call
    made from a read of a batch joins that batch)."""
    batch = Batch.current(client)
    if batch is not None:
        return batch.nested(calls)
    if len(calls) < 2:
        return [call() for call in calls]
    return Batch(client, on_thread_end).run(calls)


class Batch:
    def __init__(self, client: Elasticsearch, on_thread_end: Callable[[], None]) -> None:
        self.client = client
        self.on_thread_end = on_thread_end
        self._cond = threading.Condition()
        self._running = 0  # reads neither waiting on a search, nor on reads of their own
        self._waiting: list[_Waiting] = []

    @staticmethod
    def current(client: Elasticsearch) -> Batch | None:
        """The batch the calling thread's searches on `client` join, if any."""
        batch: Batch | None = getattr(_local, "batch", None)
        return batch if batch is not None and batch.client is client else None

    # --- from the thread that starts the batch ------------------------------------------

    def run(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Each call's result, in order; the first exception raised by a call is raised."""
        group = self._start(calls, nested=False)
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._running == 0)
                waiting, self._waiting = self._waiting, []
            if not waiting:
                break  # no read runs or waits on a search: all are done
            self._send(waiting)
        return self._results(group)

    # --- from a read's own thread -------------------------------------------------------

    def join(self, kwargs: dict[str, Any]) -> Mapping[str, Any] | None:
        """The search's answer once its round is sent, or None when it must be made
        alone."""
        lines = msearch_lines(kwargs)
        if lines is None:
            return None
        waiting = _Waiting(lines)
        with self._cond:
            self._waiting.append(waiting)
            self._running -= 1
            self._cond.notify_all()
            self._cond.wait_for(lambda: waiting.done)
        if waiting.error is not None:
            raise waiting.error
        return waiting.answer

    def nested(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Reads started by a read: they join this batch's rounds, and the read waits."""
        group = self._start(calls, nested=True)
        with self._cond:
            self._running -= 1
            self._cond.notify_all()
            self._cond.wait_for(lambda: group.left == 0)
        return self._results(group)

    # --- below ----------------------------------------------------------------------------

    def _start(self, calls: Sequence[Callable[[], T]], *, nested: bool) -> _Group:
        n = len(calls)
        group = _Group(left=n, nested=nested, results=[None] * n, errors=[None] * n)
        threads = [
            threading.Thread(target=self._work, args=(group, k, call), daemon=True)
            for k, call in enumerate(calls)
        ]
        with self._cond:
            self._running += len(threads)
        for thread in threads:
            thread.start()
        return group

    def _work(self, group: _Group, k: int, call: Callable[[], Any]) -> None:
        _local.batch = self
        try:
            group.results[k] = call()
        except BaseException as exc:  # handed to the thread that started the group
            group.errors[k] = exc
        finally:
            _local.batch = None
            self.on_thread_end()
            with self._cond:
                group.left -= 1
                self._running -= 1
                if group.left == 0 and group.nested:
                    self._running += 1  # the read that started the group goes on
                self._cond.notify_all()

    @staticmethod
    def _results(group: _Group) -> list[Any]:
        for error in group.errors:
            if error is not None:
                raise error
        return group.results

    def _send(self, waiting: list[_Waiting]) -> None:
        # Reads of one page may make the same search at once (two charts drawn from one
        # read, each computing it before the other has cached it): it is sent once.
        slot: dict[str, int] = {}
        searches: list[dict[str, Any]] = []
        for w in waiting:
            key = json.dumps(w.lines, sort_keys=True, default=str)
            if key not in slot:
                slot[key] = len(slot)
                searches += w.lines
            w.slot = slot[key]
        try:
            items = self.client.msearch(searches=searches).body.get("responses") or []
        except Exception as exc:  # every search of the round fails as it would have alone
            for w in waiting:
                w.error = exc
            items = []
        with self._cond:
            for w in waiting:
                if w.error is None and w.slot < len(items):
                    # Shared by the reads that made the same search: parsers only read
                    # an answer (end_short_pages' one change is the same for each).
                    w.answer = answer_of(items[w.slot])
                w.done = True
            self._running += len(waiting)
            self._cond.notify_all()
