"""The latest-state index: each sender's newest message, kept at write time (pure builders).

The dashboard asks for the latest state of every factory and machinetype in scope on nearly
every page. From the raw streams that is a composite aggregation with a top hit per sender
over every message of the range (some 77,000 machinetype messages a day for 800 senders);
from this index it is one search of the 800 documents themselves. It plays the part of the
embedded store's latest-state table, with the same rule:

- a sender's document is its message with the highest (time_sent, time_received), kept by
  external versioning, so writers in any order, a spool replay and a rebuild all end with
  the same document;
- a message sent from beyond the skew window ahead never takes part (vacmon.store.ahead);
- `since` filters on that message's receive time.

Only factory_status and machinetype_status have one (machines are many and short-lived,
and read by window, as in the embedded store). Each has its own index, with the raw
stream's mapping, so a document is the raw document itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from factories.messages import Message
from vacmon.store.ahead import ahead
from vacmon.store.base import ENTITY, Scope
from vacmon.store.es import builders, templates

KEPT = ("factory_status", "machinetype_status")

# The document that says an index holds every sender's newest message (set once it was
# created before any raw message, or rebuilt from the raw streams). It has no @timestamp,
# so no read, which always filters on receive time, and no purge ever matches it.
BUILT_ID = "_built"

# Hits per search: index.max_result_window's default; more senders page with search_after.
PAGE = builders.MAX_WINDOW

# What a list of senders reads of each document.
SENDER_SOURCE = ["site", "space", "factory", "machinetype", "vo", "raw.time_received"]

# The version packs (time_sent, time_received) into one long, so that ES keeps the
# document whose pair is highest. time_sent takes the high 32 bits (seconds, 1970 to 2106);
# the low 31 hold time_received - time_sent offset by 2**30, which the normaliser bounds
# to about 30 years behind and, for a message that is not ahead, the skew window ahead.
_LAG_OFFSET = 1 << 30
_LAG_MAX = (1 << 31) - 1
_SENT_MAX = (1 << 32) - 1


def index_name(prefix: str, message_type: str) -> str:
    if message_type not in KEPT:
        raise ValueError(f"no latest-state index for {message_type!r}")
    return f"{prefix}latest-{message_type}"


def index_template(prefix: str, message_type: str) -> dict[str, Any]:
    """The index template of one latest-state index, with the raw stream's mapping. A
    template, not a create body, so that an index deleted by hand and recreated by the
    next write still gets this mapping (and, having no BUILT_ID, is rebuilt)."""
    return {
        "index_patterns": [index_name(prefix, message_type)],
        "priority": templates.TEMPLATE_PRIORITY,
        "template": {
            "settings": {"index.number_of_shards": 1, "index.codec": "default"},
            "mappings": templates.mappings(message_type),
        },
        "version": templates.TEMPLATE_VERSION,
        "_meta": {"managed_by": "vacmon", "latest_state_of": message_type},
    }


def version(message: Message) -> int:
    """The external version of `message` as its sender's state: higher (time_sent,
    time_received), higher version. Times outside the bounds above are clamped, which
    only the normaliser's limits could make happen."""
    sent = min(max(message.time_sent, 0), _SENT_MAX)
    lag = min(max(message.time_received - message.time_sent + _LAG_OFFSET, 0), _LAG_MAX)
    return (sent << 31) | lag


def sender_id(message: Message) -> str:
    """One `_id` per sender: the natural key without its time."""
    key = tuple(getattr(message, name) or "" for name in ENTITY[message.message_type])
    return builders.digest_id(key)


def newest_per_sender(messages: Iterable[Message]) -> list[Message]:
    """The message of each sender (kept types, not ahead) with the highest version; of
    equal versions the later one, as a later write of it would win too."""
    newest: dict[tuple[str, str], tuple[int, Message]] = {}
    for message in messages:
        if message.message_type not in KEPT or ahead(message):
            continue
        key = (message.message_type, sender_id(message))
        rank = version(message)
        seen = newest.get(key)
        if seen is None or rank >= seen[0]:
            newest[key] = (rank, message)
    return [message for _, message in newest.values()]


def actions(prefix: str, messages: Iterable[Message]) -> list[dict[str, Any]]:
    """streaming_bulk actions writing each sender's newest message of `messages` as its
    state; the cluster refuses (409) those older than the state it holds."""
    return [
        {
            "_op_type": "index",
            "_index": index_name(prefix, m.message_type),
            "_id": sender_id(m),
            "version": version(m),
            "version_type": "external_gte",
            "_source": builders.document(m),
        }
        for m in newest_per_sender(messages)
    ]


def built_doc() -> dict[str, Any]:
    return {"built": True}


def states_query(
    message_type: str,
    *,
    since: int,
    scope: Scope,
    source: Sequence[str],
    search_after: list[Any] | None = None,
) -> dict[str, Any]:
    """One page of the states of `message_type` in `scope` received since `since`, in
    entity order."""
    body: dict[str, Any] = {
        "size": PAGE,
        "track_total_hits": False,
        "query": {
            "bool": {
                "filter": [
                    builders.time_range(since),
                    *builders.scope_filters(message_type, scope),
                ]
            }
        },
        "sort": [{name: "asc"} for name in ENTITY[message_type]],
        "_source": {"includes": list(source)},
    }
    if search_after is not None:
        body["search_after"] = search_after
    return body


def older_query(before: int) -> dict[str, Any]:
    """A page of the states received before `before` (their ids are what a purge needs)."""
    return {
        "size": PAGE,
        "track_total_hits": False,
        "query": builders.purge_query(before),
        "_source": False,
    }


# What a page of states needs of the answer: each document's `_source` and sort values.
STATES_FILTER_PATH = ["hits.hits._source", "hits.hits.sort"]
