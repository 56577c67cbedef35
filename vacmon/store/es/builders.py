"""Documents, bulk actions, spool records and query bodies (pure builders).

Times on the wire are integer seconds; `@timestamp` is the receive time in milliseconds (the
date type's native unit), so a window [since, until] in seconds is exactly
`since * 1000 <= @timestamp <= until * 1000`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from factories.messages import Message
from factories.messages.schema import FIELDS
from vacmon.store.ahead import ahead
from vacmon.store.base import ENTITY, Scope, check_series
from vacmon.store.es.templates import stream_name

# What reads need from `_source`: the envelope and the raw copy, not the typed duplicates.
SOURCE_FIELDS = [
    "message_type",
    "site",
    "space",
    "factory",
    "machinetype",
    "machine",
    "vo",
    "skewed",
    "trusted",
    "time_sent",
    "raw",
]

# ES refuses a search whose aggregations make more than `search.max_buckets` (65536 by
# default) buckets; composite pages are sized to stay well below it.
BUCKET_BUDGET = 20_000
MAX_PAGE = 1000
MAX_WINDOW = 10_000  # index.max_result_window default: the most hits one search returns
# Senders per page of a latest-state read: a top hit each, so no bucket budget applies; a
# space's or a VO's machinetypes then come back in one search.
LATEST_PAGE = MAX_PAGE


# A message sent from beyond the skew window ahead is never the newest (vacmon.store.ahead).
NOT_AHEAD = {"term": {"ahead": True}}


def doc_id(message: Message) -> str:
    """A deterministic `_id` from the natural key, so a message sent twice (or replayed from
    the spool) is refused by `create` with a 409 instead of stored twice."""
    encoded = json.dumps(list(message.key), ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(encoded.encode("utf-8")).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def raw_copy(message: Message) -> dict[str, Any]:
    return {
        "time_received": message.time_received,
        "fields": message.fields,
        "extra": message.extra,
    }


def document(message: Message) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@timestamp": message.time_received * 1000,
        "key": doc_id(message),
        "message_type": message.message_type,
        "site": message.site,
        "space": message.space,
        "factory": message.factory,
        "time_sent": message.time_sent,
        "skewed": message.skewed,
        "trusted": message.trusted,
    }
    for name in ("machinetype", "machine", "vo"):
        value = getattr(message, name)
        if value is not None:
            doc[name] = value
    if ahead(message):
        doc["ahead"] = True  # never the latest state (vacmon.store.ahead)
    known = FIELDS[message.message_type]
    for name, value in message.fields.items():
        if name in known and value is not None and name not in doc:
            doc[name] = value
    doc["raw"] = raw_copy(message)
    return doc


def bulk_action(prefix: str, message: Message) -> dict[str, Any]:
    """A streaming_bulk action; data streams accept only `create`."""
    return {
        "_op_type": "create",
        "_index": stream_name(prefix, message.message_type),
        "_id": doc_id(message),
        "_source": document(message),
    }


def spool_record(message: Message) -> str:
    """One spool line: the whole message, independent of the index layout, so a spool
    written before a template change replays into the new one."""
    return json.dumps(asdict(message), ensure_ascii=False, separators=(",", ":"))


def time_range(since: int, until: int | None = None) -> dict[str, Any]:
    bounds: dict[str, int] = {"gte": since * 1000}
    if until is not None:
        bounds["lte"] = until * 1000
    return {"range": {"@timestamp": bounds}}


def scope_filters(message_type: str, scope: Scope) -> list[dict[str, Any]]:
    """Term filters for a scope (`Scope.terms`)."""
    return [{"term": {name: value}} for name, value in scope.terms(message_type)]


def _query(filters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": filters}}


def _composite(
    sources: list[tuple[str, bool]], size: int, after: dict[str, Any] | None
) -> dict[str, Any]:
    terms = []
    for name, missing in sources:
        spec: dict[str, Any] = {"field": name}
        if missing:
            spec["missing_bucket"] = True
        terms.append({name: {"terms": spec}})
    body: dict[str, Any] = {"size": size, "sources": terms}
    if after is not None:
        body["after"] = after
    return body


def source_includes(fields: Sequence[str] | None) -> list[str]:
    """What a read takes of `_source`: everything, or with `fields` only those of the raw
    copy besides the envelope, which `parsers.message_from_source` then repeats in the
    message's fields itself (as the embedded store does) instead of reading it twice."""
    if fields is None:
        return SOURCE_FIELDS
    return [
        *(f for f in SOURCE_FIELDS if f != "raw"),
        "raw.time_received",
        *(f"raw.fields.{f}" for f in fields),
    ]


def latest_query(
    message_type: str,
    *,
    since: int,
    until: int | None,
    scope: Scope,
    after: dict[str, Any] | None = None,
    page: int | None = None,
    fields: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One page of the newest message per entity: composite buckets over the entity's
    fields, each with its top hit by (time_sent, receive time)."""
    sources = [(name, False) for name in ENTITY[message_type]]
    page = page or LATEST_PAGE
    return {
        "size": 0,
        "track_total_hits": False,
        "query": {
            "bool": {
                "filter": [time_range(since, until), *scope_filters(message_type, scope)],
                "must_not": [NOT_AHEAD],
            }
        },
        "aggs": {
            "entities": {
                "composite": _composite(sources, page, after),
                "aggs": {
                    "newest": {
                        "top_hits": {
                            "size": 1,
                            "sort": [{"time_sent": "desc"}, {"@timestamp": "desc"}],
                            "_source": {"includes": source_includes(fields)},
                        }
                    }
                },
            }
        },
    }


# What a latest-state page needs of the answer: each sender's newest `_source`, not the
# backing index, `_id`, score and sort values of the hit (a third of the answer).
LATEST_FILTER_PATH = [
    "aggregations.entities.after_key",
    "aggregations.entities.buckets.key",
    "aggregations.entities.buckets.newest.hits.hits._source",
]

# What a history page needs of each hit: `_id` (to drop a message a rollover stored twice),
# `_source`, and `sort` (to continue after it).
HISTORY_FILTER_PATH = ["hits.hits._id", "hits.hits._source", "hits.hits.sort"]


def history_query(
    message_type: str,
    *,
    since: int,
    until: int,
    scope: Scope,
    size: int,
    search_after: list[Any] | None = None,
    fields: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Newest first; `key` (the unique `_id` copy) breaks ties so search_after pages
    neither skip nor repeat a message. With `fields`, only those of the raw copy are
    returned (besides the envelope)."""
    body: dict[str, Any] = {
        "size": min(size, MAX_WINDOW),
        "track_total_hits": False,
        "query": _query([time_range(since, until), *scope_filters(message_type, scope)]),
        "sort": [{"@timestamp": "desc"}, {"time_sent": "desc"}, {"key": "desc"}],
        "_source": {"includes": source_includes(fields)},
    }
    if search_after is not None:
        body["search_after"] = search_after
    return body


def bucket_sources(message_type: str, group_by: str) -> list[tuple[str, bool]]:
    """Composite sources for a series: the entity, plus the group when it is not part of
    the entity (vo, which a machinetype's fqan may lack)."""
    sources = [(name, False) for name in ENTITY[message_type]]
    if group_by not in ENTITY[message_type]:
        sources.append((group_by, True))
    return sources


def buckets_page_size(since: int, until: int, interval: int, lookback: int) -> int:
    """Senders per page when each may fill every bucket of the window: the first page's
    size, before the cluster has said how many buckets a sender really fills."""
    per_entity = (until - since + lookback) // interval + 2
    return max(1, min(MAX_PAGE, BUCKET_BUDGET // per_entity))


def next_page_size(worst: int, filled: int) -> int:
    """Senders per page once a page showed senders filling at most `filled` buckets: only
    buckets holding samples come back (min_doc_count 1), so a week of 5-minute buckets
    over two days of data is paged for two days. Never fewer than the worst case; a sender
    filling more than that page's budget still stays under `search.max_buckets`, which is
    three budgets."""
    return max(worst, min(MAX_PAGE, BUCKET_BUDGET // (filled + 1)))


def metric_aggs(metrics: Sequence[str]) -> dict[str, Any]:
    """Sum and count of each metric per bucket, named `sum_<metric>` and `n_<metric>`."""
    out: dict[str, Any] = {}
    for metric in metrics:
        out[f"sum_{metric}"] = {"sum": {"field": metric}}
        out[f"n_{metric}"] = {"value_count": {"field": metric}}
    return out


def buckets_query(
    message_type: str,
    metrics: Sequence[str],
    *,
    group_by: str,
    since: int,
    until: int,
    interval: int,
    scope: Scope,
    lookback: int = 0,
    after: dict[str, Any] | None = None,
    page: int | None = None,
) -> dict[str, Any]:
    """One page of per-entity histograms of several metrics of one message type, read
    together. Buckets are aligned on the epoch, so a bucket's key is t - t % interval as in
    the embedded store; sum and count (rather than avg) let a sender split over two
    composite buckets be merged exactly. Only buckets holding a sample come back."""
    if not metrics:
        raise ValueError("no metric to chart")
    for metric in metrics:
        check_series(message_type, metric, group_by)
    if interval <= 0:
        raise ValueError("interval must be a positive number of seconds")
    carrying = [{"exists": {"field": metric}} for metric in metrics]
    filters = [
        time_range(since - lookback, until),
        carrying[0] if len(carrying) == 1 else {"bool": {"should": carrying}},
        *scope_filters(message_type, scope),
    ]
    if page is None:
        page = buckets_page_size(since, until, interval, lookback)
    return {
        "size": 0,
        "track_total_hits": False,
        "query": _query(filters),
        "aggs": {
            "entities": {
                "composite": _composite(bucket_sources(message_type, group_by), page, after),
                "aggs": {
                    "t": {
                        "date_histogram": {
                            "field": "@timestamp",
                            "fixed_interval": f"{interval}s",
                            "min_doc_count": 1,
                        },
                        "aggs": metric_aggs(metrics),
                    }
                },
            }
        },
    }


# What a buckets page needs of the answer: bucket keys and the metric values, not each
# bucket's key_as_string and doc_count (a week of a fleet is 100,000 buckets).
BUCKETS_FILTER_PATH = [
    "aggregations.entities.after_key",
    "aggregations.entities.buckets.key",
    "aggregations.entities.buckets.t.buckets.key",
    "aggregations.entities.buckets.t.buckets.*.value",
]


def factories_query(
    *, since: int, scope: Scope, after: dict[str, Any] | None = None, page: int = MAX_PAGE
) -> dict[str, Any]:
    sources = [(name, False) for name in ENTITY["factory_status"]]
    return _senders_query("factory_status", sources, since, scope, after, page)


def machinetypes_query(
    *, since: int, scope: Scope, after: dict[str, Any] | None = None, page: int = MAX_PAGE
) -> dict[str, Any]:
    sources = [(name, False) for name in ENTITY["machinetype_status"]] + [("vo", True)]
    return _senders_query("machinetype_status", sources, since, scope, after, page)


def _senders_query(
    message_type: str,
    sources: list[tuple[str, bool]],
    since: int,
    scope: Scope,
    after: dict[str, Any] | None,
    page: int,
) -> dict[str, Any]:
    """One page of senders heard from since `since`, each with its newest `@timestamp`."""
    return {
        "size": 0,
        "track_total_hits": False,
        "query": _query([time_range(since), *scope_filters(message_type, scope)]),
        "aggs": {
            "entities": {
                "composite": _composite(sources, page, after),
                "aggs": {"last": {"max": {"field": "@timestamp"}}},
            }
        },
    }


# What a senders page needs of the answer: each sender's key and newest time, not its doc
# count or the time again as a string.
SENDERS_FILTER_PATH = [
    "aggregations.entities.after_key",
    "aggregations.entities.buckets.key",
    "aggregations.entities.buckets.last.value",
]


def purge_query(before: int) -> dict[str, Any]:
    return {"range": {"@timestamp": {"lt": before * 1000}}}
