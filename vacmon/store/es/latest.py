"""The latest-state index: each factory's and machinetype's newest message, one document
each, as the embedded store keeps its latest-state table (pure builders and parsers).

Without it, the newest message of every sender is a composite aggregation with a top hit
over a day of raw messages: on 7 days x 200 factories x 4 machinetypes the cluster took
44-67 ms for the machinetypes' one, and a plain search of this index 8 ms. Every dashboard
page makes one or two such reads.

Newest means by (time sent, time received), later writes winning ties, as in the embedded
store. The cluster keeps that order itself: each document is indexed with an external
version made of those two times (`version`), and a write with a lower version than the
stored one is refused with a 409, which is the outcome wanted, not an error. A message sent
from beyond the skew window ahead never becomes the latest state (`vacmon.store.ahead`) and
is not written here at all.

Beside the senders' documents the index holds one state document. Its `dirty_since` is
null once the index holds every sender's newest message; otherwise reads go to the raw
messages, and `ElasticsearchStore.maintain` rebuilds the index from the raw messages
received since that time. A new index over existing raw messages starts dirty since 0; a
write whose latest-state part the cluster did not take marks it dirty since that batch.
The state document sorts first (it has no site), so a read finds it on its first page,
in the same search as the senders.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from factories.messages import Message
from vacmon.store.ahead import ahead
from vacmon.store.base import ENTITY, Scope
from vacmon.store.es import builders, templates
from vacmon.store.es.parsers import UnexpectedResponse, message_from_source

# The message types with a latest state: a bounded set of senders. Machines are not:
# every VM is a new sender, so their newest messages stay with the raw messages.
TYPES = ("factory_status", "machinetype_status")

STATE_ID = "state"
INDEX_VERSION = 1

# Senders per read page: a fleet of thousands of machinetypes is a few pages.
PAGE = 2000

# A version is the time sent, shifted, plus the time received relative to it (offset so a
# message received before its stated send time, inside the skew window, still orders).
_SHIFT = 31
_OFFSET = 1 << 30
_RECEIVED_MAX = (1 << _SHIFT) - 1
_TIME_LIMIT = 1 << 32  # the year 2106, far past what the wire format accepts


def index_name(prefix: str) -> str:
    return f"{prefix}latest"


# What a latest-state document keeps of a message's stream document: the envelope, which
# reads filter and sort on, and the raw copy they rebuild the message from. The typed
# copies of the figures are left out: nothing aggregates over this index, and indexing them
# too made a write of a machinetype message's latest state cost as much as the message.
KEPT = (
    "@timestamp",
    "key",
    "message_type",
    "site",
    "space",
    "factory",
    "machinetype",
    "vo",
    "time_sent",
    "skewed",
    "trusted",
    "raw",
)


def template_body(prefix: str) -> dict[str, Any]:
    """The index template (`templates.side_index_template`): the raw streams' mappings of
    the envelope, plus the state document's field."""
    properties: dict[str, Any] = {}
    for message_type in TYPES:
        mapped = templates.mapped_fields(message_type)
        for name in KEPT:
            if name in mapped and properties.setdefault(name, mapped[name]) != mapped[name]:
                raise ValueError(f"{name} is mapped two ways in {TYPES}")
    properties["dirty_since"] = {"type": "long"}
    return templates.side_index_template(
        prefix,
        index_name(prefix),
        dict(sorted(properties.items())),
        version=INDEX_VERSION,
        holds="latest state",
    )


def sender_key(message: Message) -> tuple[str, ...]:
    return (
        message.message_type,
        message.site,
        message.space,
        message.factory,
        message.machinetype or "",
    )


def doc_id(message: Message) -> str:
    """A fixed-length `_id` per sender (names may be long, an `_id` at most 512 bytes)."""
    return hashlib.blake2b("\x1f".join(sender_key(message)).encode(), digest_size=16).hexdigest()


def version(message: Message) -> int | None:
    """The external version ordering `message` among its sender's messages, or None if it
    may never be the latest state."""
    if ahead(message) or not 0 <= message.time_sent < _TIME_LIMIT:
        return None
    received = min(max(int(message.time_received - message.time_sent) + _OFFSET, 0), _RECEIVED_MAX)
    return int(message.time_sent) << _SHIFT | received


def newest(messages: Iterable[Message]) -> list[Message]:
    """Each sender's newest message of a batch that has a latest state, by the version
    order (ties to the later one, as the cluster's external_gte does across batches)."""
    found: dict[tuple[str, ...], tuple[int, Message]] = {}
    for message in messages:
        if message.message_type not in TYPES:
            continue
        v = version(message)
        if v is None:
            continue
        key = sender_key(message)
        seen = found.get(key)
        if seen is None or v >= seen[0]:
            found[key] = (v, message)
    return [message for _, message in found.values()]


def document(stream_document: Mapping[str, Any]) -> dict[str, Any]:
    """A sender's latest-state document: the envelope and raw copy of its newest message's
    stream document (`builders.document`)."""
    return {k: v for k, v in stream_document.items() if k in KEPT}


def actions(
    prefix: str,
    messages: Sequence[Message],
    stream_documents: Sequence[Mapping[str, Any]] | None = None,
) -> Iterator[dict[str, Any]]:
    """streaming_bulk actions writing each sender's newest message of `messages`, from
    their stream documents if the caller built them already (in the same order)."""
    index = index_name(prefix)
    docs = stream_documents or [builders.document(m) for m in messages]
    by_message = {id(m): doc for m, doc in zip(messages, docs, strict=True)}
    for message in newest(messages):
        yield {
            "_op_type": "index",
            "_index": index,
            "_id": doc_id(message),
            "_version": version(message),
            "_version_type": "external_gte",
            "_source": document(by_message[id(message)]),
        }


def state_doc(dirty_since: int | None) -> dict[str, Any]:
    return {"message_type": "state", "dirty_since": dirty_since}


def read_query(
    message_type: str,
    *,
    since: int,
    scope: Scope,
    fields: Sequence[str] | None,
    after: list[Any] | None = None,
    size: int = PAGE,
) -> dict[str, Any]:
    """One page of the senders of `message_type` whose newest message was received since
    `since`, in entity order; the first page also holds the state document."""
    senders = {
        "bool": {
            "filter": [
                {"term": {"message_type": message_type}},
                builders.time_range(since),
                *builders.scope_filters(message_type, scope),
            ]
        }
    }
    query: dict[str, Any] = senders
    if after is None:
        query = {"bool": {"should": [senders, {"ids": {"values": [STATE_ID]}}]}}
    body: dict[str, Any] = {
        "size": size,
        "track_total_hits": False,
        "query": query,
        "sort": [{name: {"order": "asc", "missing": "_first"}} for name in ENTITY[message_type]],
        "_source": {"includes": [*builders.source_includes(fields), "dirty_since"]},
    }
    if after is not None:
        body["search_after"] = after
    return body


READ_FILTER_PATH = ["hits.hits._id", "hits.hits._source", "hits.hits.sort"]


def senders_query(
    message_type: str, *, since: int, scope: Scope, after: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One page of the senders of `message_type` whose newest message was received since
    `since` (`builders.factories_query` or `machinetypes_query`, over one document per
    sender instead of every raw message of the range); the first page's one hit is the
    state document. A machinetype's document is its newest message, so the scope's VO is
    its newest VO, as the embedded store's latest-state table has it."""
    if message_type == "machinetype_status":
        body = builders.machinetypes_query(since=since, scope=scope, after=after)
    else:
        body = builders.factories_query(since=since, scope=scope, after=after)
    senders = {"bool": {"filter": [{"term": {"message_type": message_type}}, body["query"]]}}
    if after is not None:
        body["query"] = senders
        return body
    body["query"] = {"bool": {"should": [senders, {"ids": {"values": [STATE_ID]}}]}}
    # The state document has no site, so it sorts first: the one hit is the state.
    body["size"] = 1
    body["sort"] = [{"site": {"order": "asc", "missing": "_first"}}]
    body["_source"] = ["dirty_since"]
    return body


SENDERS_FILTER_PATH = ["hits.hits._id", "hits.hits._source", *builders.SENDERS_FILTER_PATH]


def is_clean(body: Mapping[str, Any]) -> bool:
    """Whether the first page of a read found the state document, and it clean: the index
    then holds every sender's newest message."""
    hits = (body.get("hits") or {}).get("hits") or [] if body else []
    return bool(
        isinstance(hits, list)
        and hits
        and hits[0].get("_id") == STATE_ID
        and (hits[0].get("_source") or {}).get("dirty_since") is None
    )


def read_page(
    body: Mapping[str, Any], *, first: bool, projected: bool
) -> tuple[list[Message], list[Any] | None] | None:
    """The senders of one page and the sort values to continue after (None at the end), or
    None if this is the first page and the index does not hold every sender's newest
    message (no state document yet, or a dirty one)."""
    hits = (body.get("hits") or {}).get("hits") or [] if body else []
    if not isinstance(hits, list):
        raise UnexpectedResponse("no hits in the latest-state answer")
    if first and not is_clean(body):
        return None
    out = [
        message_from_source(hit["_source"], projected) for hit in hits if hit.get("_id") != STATE_ID
    ]
    return out, hits[-1].get("sort") if hits else None


def dirty_since_of(source: Mapping[str, Any] | None) -> int | None:
    """The state document's `dirty_since`; a missing document counts as dirty since 0."""
    if source is None:
        return 0
    value = source.get("dirty_since")
    return None if value is None else int(value)
