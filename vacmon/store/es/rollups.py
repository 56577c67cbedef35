"""Group rollups in a VacMon-owned index (pure builders and parsers).

A chart bucket at least as wide as the staleness window is "average each sender over the
bucket, then sum per group": no sender is carried forward, so once a bucket has settled its
per-group sums never change. `ElasticsearchStore.maintain` computes them once per bucket, at
every chart interval a range can pick, from a composite aggregation over (bucket, sender)
of the raw messages, and indexes one document per (bucket, site, space, machinetype, vo)
with the sum of the senders' averages per metric: the embedded store's space rollups
(`vacmon/store/embedded/space_rollups.py`), with the same resolutions and keys. A chart then
reads groups x buckets documents instead of senders x buckets aggregation buckets, and only
the buckets after the watermark from the raw messages.

The index also holds one watermark document per resolution (`built_until`) and "dirty"
markers: a write carrying a message received more than `LATE_SECONDS` ago (a spool replay,
copy_store, a stalled listener) first marks its hour, and the next maintenance rebuilds
every resolution from there, so a late message is charted like any other.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vacmon.store.base import ENTITY, SERIES_METRICS, ChartQuery
from vacmon.store.es import templates
from vacmon.store.es.parsers import NO_VALUE

KEY = ("site", "space", "machinetype", "vo")
# A bucket is built this long after it ends: the listener flushes within seconds and a
# bulk request retries for well under a minute; the dashboard caches a bucket as settled
# after the same time (vacmon.dashboard.settled.SETTLE_SECONDS).
GRACE_SECONDS = 300
# A write holding a message received longer ago than this may land in a built bucket.
LATE_SECONDS = 120
# A dirty marker is acted on once the write that set it has surely finished (or spooled,
# which writes a marker of its own on replay).
MARKER_SETTLE_SECONDS = 300
MARK_HOUR = 3600
# Composite buckets per build page, and the buckets one build request covers at most.
BUILD_PAGE = 10_000
BUILD_BUCKETS = 10_000
READ_PAGE = 5000
MARKERS_MAX = 1000

INDEX_VERSION = 1


def index_name(prefix: str) -> str:
    return f"{prefix}rollups"


def template_body(prefix: str) -> dict[str, Any]:
    """The index template of the rollup index (`templates.side_index_template`)."""
    metrics = sorted({m for names in SERIES_METRICS.values() for m in names})
    keyword = {"type": "keyword", "ignore_above": 1024}
    properties: dict[str, Any] = {
        "kind": keyword,
        "message_type": keyword,
        "resolution": {"type": "long"},
        "bucket": {"type": "long"},
        "built_until": {"type": "long"},
        "since": {"type": "long"},
        "written": {"type": "long"},
        **{name: keyword for name in KEY},
        **{metric: {"type": "double"} for metric in metrics},
        **{f"n_{metric}": {"type": "long"} for metric in metrics},
    }
    return templates.side_index_template(
        prefix, index_name(prefix), properties, version=INDEX_VERSION, holds="chart rollups"
    )


def settled_until(now: int, resolution: int) -> int:
    return (now - GRACE_SECONDS) // resolution * resolution


# --- ids and small documents ---------------------------------------------------------------


def mark_id(resolution: int) -> str:
    return f"mark-{resolution}"


def mark_doc(resolution: int, built_until: int) -> dict[str, Any]:
    return {"kind": "mark", "resolution": resolution, "built_until": built_until}


def marker_id(since: int) -> str:
    return f"dirty-{since - since % MARK_HOUR}"


def marker_doc(since: int, written: int) -> dict[str, Any]:
    return {"kind": "dirty", "since": since - since % MARK_HOUR, "written": written}


def late_since(times: Iterable[int], now: int) -> int | None:
    """The oldest receive time of a batch if it is late enough to land in a built bucket."""
    oldest = min(times, default=None)
    return oldest if oldest is not None and oldest < now - LATE_SECONDS else None


def marks_from(body: Mapping[str, Any]) -> dict[int, int]:
    """resolution -> built_until from an mget of the mark documents."""
    out = {}
    for doc in body.get("docs", []):
        source = doc.get("_source") if doc.get("found") else None
        if isinstance(source, Mapping) and "built_until" in source:
            out[int(source["resolution"])] = int(source["built_until"])
    return out


@dataclass(frozen=True)
class Marker:
    doc_id: str
    since: int
    written: int
    seq_no: int
    primary_term: int


def markers_query() -> dict[str, Any]:
    return {
        "size": MARKERS_MAX,
        "seq_no_primary_term": True,
        "query": {"term": {"kind": "dirty"}},
        "sort": [{"since": "asc"}],
    }


def markers_from(body: Mapping[str, Any]) -> list[Marker]:
    out = []
    for hit in body.get("hits", {}).get("hits", []):
        source = hit.get("_source", {})
        out.append(
            Marker(
                doc_id=str(hit["_id"]),
                since=int(source["since"]),
                written=int(source["written"]),
                seq_no=int(hit["_seq_no"]),
                primary_term=int(hit["_primary_term"]),
            )
        )
    return out


def lowered_marks(
    marks: dict[int, int], markers: Sequence[Marker], now: int
) -> tuple[dict[int, int], list[Marker]]:
    """Watermarks moved back to the oldest settled marker, and the markers acted on."""
    done = [m for m in markers if m.written <= now - MARKER_SETTLE_SECONDS]
    if not done:
        return marks, []
    since = min(m.since for m in done)
    out = {r: min(mark, since - since % r) for r, mark in marks.items()}
    return out, done


# --- building ----------------------------------------------------------------------------


def build_sources(message_type: str, resolution: int) -> list[dict[str, Any]]:
    """Composite sources: the bucket first (pages follow time), then the sender, then the
    VO where the type has one (a machinetype that changed VO counts once per VO, as in the
    embedded store)."""
    sources: list[dict[str, Any]] = [
        {"b": {"date_histogram": {"field": "@timestamp", "fixed_interval": f"{resolution}s"}}}
    ]
    sources += [{name: {"terms": {"field": name}}} for name in ENTITY[message_type]]
    if message_type == "machinetype_status":
        sources.append({"vo": {"terms": {"field": "vo", "missing_bucket": True}}})
    return sources


def sum_count_aggs(metrics: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for metric in metrics:
        out[f"s_{metric}"] = {"sum": {"field": metric}}
        out[f"n_{metric}"] = {"value_count": {"field": metric}}
    return out


def build_query(
    message_type: str,
    resolution: int,
    low: int,
    high: int,
    after: dict[str, Any] | None,
    page: int = BUILD_PAGE,
) -> dict[str, Any]:
    """One page of (bucket, sender) sums and counts of every metric, received in
    [low, high)."""
    metrics = SERIES_METRICS[message_type]
    composite: dict[str, Any] = {"size": page, "sources": build_sources(message_type, resolution)}
    if after is not None:
        composite["after"] = after
    return {
        "size": 0,
        "track_total_hits": False,
        "query": {
            "bool": {"filter": [{"range": {"@timestamp": {"gte": low * 1000, "lt": high * 1000}}}]}
        },
        "aggs": {"senders": {"composite": composite, "aggs": sum_count_aggs(metrics)}},
    }


# What a build page needs of the answer: keys and values, not doc counts or key strings.
BUILD_FILTER_PATH = [
    "aggregations.senders.after_key",
    "aggregations.senders.buckets.key",
    "aggregations.senders.buckets.*.value",
]


def oldest_query() -> dict[str, Any]:
    return {
        "size": 0,
        "track_total_hits": False,
        "aggs": {"oldest": {"min": {"field": "@timestamp"}}},
    }


def oldest_from(body: Mapping[str, Any]) -> int | None:
    value = body.get("aggregations", {}).get("oldest", {}).get("value")
    return int(value) // 1000 if value is not None else None


GroupKey = tuple[int, str, str, str | None, str | None]  # bucket, site, space, machinetype, vo


@dataclass
class GroupSums:
    """Per (bucket, site, space, machinetype, vo): the sum of the senders' averages per
    metric and how many senders carried it."""

    metrics: tuple[str, ...]
    sums: dict[GroupKey, dict[str, list[float]]] = field(default_factory=dict)

    def add_page(self, body: Mapping[str, Any]) -> dict[str, Any] | None:
        agg = body.get("aggregations", {}).get("senders")
        if agg is None:
            return None  # no raw stream yet
        buckets = agg.get("buckets", [])
        for bucket in buckets:
            key = bucket["key"]
            group: GroupKey = (
                int(key["b"]) // 1000,
                str(key["site"]),
                str(key["space"]),
                key.get("machinetype"),
                key.get("vo"),
            )
            cells = self.sums.setdefault(group, {})
            for metric in self.metrics:
                count = bucket.get(f"n_{metric}", {}).get("value") or 0
                total = bucket.get(f"s_{metric}", {}).get("value")
                if count and total is not None:
                    cell = cells.setdefault(metric, [0.0, 0])
                    cell[0] += float(total) / count
                    cell[1] += 1
        return agg.get("after_key") if buckets else None


def rollup_id(message_type: str, resolution: int, group: GroupKey) -> str:
    encoded = json.dumps([message_type, resolution, *group], separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:32]


def rollup_actions(
    index: str, message_type: str, resolution: int, sums: GroupSums
) -> list[dict[str, Any]]:
    """Bulk `index` actions: a rebuilt bucket overwrites its documents (same ids)."""
    actions = []
    for group, cells in sums.sums.items():
        bucket, site, space, machinetype, vo = group
        doc: dict[str, Any] = {
            "kind": "sum",
            "message_type": message_type,
            "resolution": resolution,
            "bucket": bucket,
            "site": site,
            "space": space,
        }
        if machinetype is not None:
            doc["machinetype"] = machinetype
        if vo is not None:
            doc["vo"] = vo
        for metric, (total, senders) in cells.items():
            doc[metric] = total
            doc[f"n_{metric}"] = senders
        actions.append(
            {
                "_op_type": "index",
                "_index": index,
                "_id": rollup_id(message_type, resolution, group),
                "_source": doc,
            }
        )
    return actions


# --- reading -----------------------------------------------------------------------------


def read_query(
    q: ChartQuery, *, first: int, before: int, after: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One page of (group, bucket) sums of the chart `q` over the rollup documents of
    buckets in [first, before), at the chart's interval."""
    filters: list[dict[str, Any]] = [
        {"term": {"kind": "sum"}},
        {"term": {"message_type": q.message_type}},
        {"term": {"resolution": q.interval}},
        {"range": {"bucket": {"gte": first, "lt": before}}},
        *({"term": {name: value}} for name, value in q.scope.terms(q.message_type)),
    ]
    composite: dict[str, Any] = {
        "size": READ_PAGE,
        "sources": [
            {"g": {"terms": {"field": q.group_by, "missing_bucket": True}}},
            {"b": {"terms": {"field": "bucket"}}},
        ],
    }
    if after is not None:
        composite["after"] = after
    aggs: dict[str, Any] = {}
    for metric in q.metrics:
        aggs[f"s_{metric}"] = {"sum": {"field": metric}}
        aggs[f"n_{metric}"] = {"sum": {"field": f"n_{metric}"}}
    return {
        "size": 0,
        "track_total_hits": False,
        "query": {"bool": {"filter": filters}},
        "aggs": {"groups": {"composite": composite, "aggs": aggs}},
    }


# metric -> group -> bucket start -> the addends of its sum (rollup sums and sender
# averages), kept apart until `totals` adds them with math.fsum, as the embedded store
# does, so that the order pages and shards answer in cannot change a chart's last digits.
Sums = dict[str, dict[str, dict[int, list[float]]]]


def totals(groups: Mapping[str, Mapping[int, Sequence[float]]]) -> dict[str, dict[int, float]]:
    """Each group's buckets summed, order-independently."""
    return {
        group: {start: math.fsum(parts) for start, parts in by_bucket.items()}
        for group, by_bucket in groups.items()
    }


def add_read_page(sums: Sums, metrics: Sequence[str], body: Mapping[str, Any]) -> Any:
    """Add one read page into `sums`; return the key of the next page, None after the
    last. A group whose senders never sent a metric in a bucket is a gap there."""
    agg = body.get("aggregations", {}).get("groups")
    if agg is None:
        return None  # no rollup index yet
    buckets = agg.get("buckets", [])
    # The hot loop of a wide chart (a week of two-hour buckets for 40 sites is 3,400
    # buckets a page): names are made once per page, not per bucket and metric.
    names = [(sums[metric], f"n_{metric}", f"s_{metric}") for metric in metrics]
    for bucket in buckets:
        key = bucket["key"]
        group = key.get("g")
        name = str(group) if group is not None else "unknown"
        start = int(key["b"])
        for into, n_name, s_name in names:
            if not (bucket.get(n_name) or NO_VALUE).get("value"):
                continue
            total = (bucket.get(s_name) or NO_VALUE).get("value")
            if total is not None:
                into.setdefault(name, {}).setdefault(start, []).append(float(total))
    return agg.get("after_key") if buckets else None
