"""Elasticsearch responses -> the store's dataclasses and Messages (pure parsers).

Every function takes a response body as a plain dict (the client's `.body`) and raises
`UnexpectedResponse` when it does not have the shape we asked for, rather than a KeyError
three frames later.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from factories.messages import Message
from vacmon.store.ahead import ahead
from vacmon.store.base import EntityBuckets, FactoryRef, MachinetypeRef
from vacmon.store.series import sender_buckets

Body = Mapping[str, Any]


class UnexpectedResponse(ValueError):
    """A response whose shape is not what the request asked for."""


# The envelope a message's fields repeat, as it arrived.
ENVELOPE_FIELDS = ("message_type", "site", "space", "factory", "time_sent")


def message_from_source(source: Body, projected: bool = False) -> Message:
    """Rebuild a Message from a stored document's `_source` (envelope + raw copy). A
    `projected` read (`builders.source_includes` with fields) took only some raw fields;
    the envelope is then repeated in the message's fields from the document's own."""
    try:
        raw = source["raw"]
        fields = dict(raw.get("fields") or {})
        if projected:
            for name in ENVELOPE_FIELDS:
                fields[name] = source[name]
        return Message(
            message_type=source["message_type"],
            site=source["site"],
            space=source["space"],
            factory=source["factory"],
            time_sent=int(source["time_sent"]),
            time_received=int(raw["time_received"]),
            machinetype=source.get("machinetype"),
            machine=source.get("machine"),
            vo=source.get("vo"),
            skewed=bool(source.get("skewed", False)),
            trusted=bool(source.get("trusted", False)),
            fields=fields,
            extra=dict(raw.get("extra") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UnexpectedResponse(f"a stored document lacks {exc}") from None


def message_from_record(line: str) -> Message:
    """Read one spool line written by builders.spool_record."""
    data = json.loads(line)
    if not isinstance(data, dict):
        raise UnexpectedResponse("a spool record is not an object")
    try:
        return Message(**data)
    except TypeError as exc:
        raise UnexpectedResponse(f"a spool record does not fit a Message: {exc}") from None


def composite_page(body: Body) -> tuple[list[Body], dict[str, Any] | None]:
    """The buckets of the composite aggregation `entities` and the key of the next page, from
    an answer whole or cut down by a filter path: an empty page (or no index yet) then comes
    back without the keys that would have held nothing."""
    if not body or ("aggregations" not in body and "hits" in body):
        return [], None
    try:
        agg = body["aggregations"]["entities"]
    except (KeyError, TypeError):
        raise UnexpectedResponse("no composite aggregation 'entities' in the response") from None
    buckets = list(agg.get("buckets") or [])
    return buckets, agg.get("after_key") if buckets else None


def latest_page(body: Body, projected: bool = False) -> tuple[list[Message], dict[str, Any] | None]:
    """One page of newest-per-entity messages and the key to ask for the next page (from
    an answer cut down by `builders.LATEST_FILTER_PATH` or whole)."""
    buckets, after = composite_page(body)
    out = []
    for bucket in buckets:
        hits = bucket.get("newest", {}).get("hits", {}).get("hits", [])
        if hits:
            message = message_from_source(hits[0]["_source"], projected)
            # A backing index made before template version 2 does not index `ahead`, so
            # the query cannot leave such a message out: it is left out here instead.
            if not ahead(message):
                out.append(message)
    return out, after


def history_page(
    body: Body, projected: bool = False
) -> tuple[list[tuple[str, Message]], list[Any] | None]:
    """Hits as (key, message) pairs and the sort values to continue after."""
    if not body:
        return [], None  # no hit at all, as `builders.HISTORY_FILTER_PATH` cuts it down
    try:
        hits = body["hits"]["hits"]
    except (KeyError, TypeError):
        raise UnexpectedResponse("no hits in the search response") from None
    out = [
        (str(hit.get("_id", "")), message_from_source(hit["_source"], projected)) for hit in hits
    ]
    last = hits[-1].get("sort") if hits else None
    return out, last


def factories_page(body: Body) -> tuple[list[FactoryRef], dict[str, Any] | None]:
    return _senders_page(
        body, lambda key, seen: FactoryRef(key["site"], key["space"], key["factory"], seen)
    )


def machinetypes_page(body: Body) -> tuple[list[MachinetypeRef], dict[str, Any] | None]:
    """One page of (sender, VO) buckets; a machinetype whose VO changed is in one per VO
    (`newest_vo` keeps one)."""
    return _senders_page(
        body,
        lambda key, seen: MachinetypeRef(
            key["site"], key["space"], key["factory"], key["machinetype"], key.get("vo"), seen
        ),
    )


def newest_vo(refs: Iterable[MachinetypeRef], vo: str | None) -> list[MachinetypeRef]:
    """Each machinetype once, under the VO of its newest message (as the store contract
    lists it), then only those of `vo` if given; in (site, space, factory, machinetype)
    order."""
    newest: dict[tuple[str, str, str, str], MachinetypeRef] = {}
    for ref in refs:
        key = (ref.site, ref.space, ref.factory, ref.machinetype)
        if key not in newest or ref.last_seen > newest[key].last_seen:
            newest[key] = ref
    return [newest[k] for k in sorted(newest) if vo is None or newest[k].vo == vo]


R = TypeVar("R")


def _senders_page(
    body: Body, make: Callable[[dict[str, Any], int], R]
) -> tuple[list[R], dict[str, Any] | None]:
    """Composite buckets of senders with their newest `@timestamp` (ms) as `last`, from an
    answer cut down by `builders.SENDERS_FILTER_PATH` or whole."""
    buckets, after = composite_page(body)
    out = []
    for bucket in buckets:
        last = bucket.get("last", {}).get("value")
        if last is not None:
            out.append(make(bucket["key"], int(last) // 1000))
    return out, after


# What a missing sub-aggregation or histogram reads as.
NO_VALUE: Mapping[str, Any] = {}


@dataclass
class _Entity:
    sums: dict[int, list[float]] = field(default_factory=dict)
    group: str = "unknown"
    group_seen: int = -1


class BucketAccumulator:
    """Collects the pages of a per-entity histogram search of several metrics into
    EntityBuckets per metric.

    A sender appears in two composite buckets when its group (vo) changed inside the
    window; its sums are merged and it is charted under its newest group (newest among
    the buckets holding that metric, as if the metric had been read alone).
    """

    def __init__(
        self, entity_fields: tuple[str, ...], group_by: str, metrics: tuple[str, ...]
    ) -> None:
        self.entity_fields = entity_fields
        self.group_by = group_by
        self.metrics = metrics
        self._entities: dict[str, dict[tuple[str, ...], _Entity]] = {m: {} for m in metrics}
        self._names = [(m, f"n_{m}", f"sum_{m}") for m in metrics]
        self.filled = 0  # the most buckets one composite bucket of the last page held

    def add_page(self, body: Body) -> dict[str, Any] | None:
        """Accumulate one page; return the key of the next page, None after the last."""
        buckets, after = composite_page(body)
        self.filled = 0
        for bucket in buckets:
            self._add_bucket(bucket)
        return after

    def _add_bucket(self, bucket: Body) -> None:
        # The hot loop of a narrow chart: a day of minute buckets for 800 senders is
        # 100,000 slots a metric, so names are made once and each slot's time read once.
        key = bucket["key"]
        ident = tuple(str(key[name]) for name in self.entity_fields)
        slots = (bucket.get("t") or {}).get("buckets") or []
        self.filled = max(self.filled, len(slots))
        starts = [int(slot["key"]) // 1000 for slot in slots]
        value = key.get(self.group_by)
        group = str(value) if value is not None else "unknown"
        for metric, n_name, sum_name in self._names:
            entities = self._entities[metric]
            entity = entities.get(ident)
            if entity is None:
                entity = entities[ident] = _Entity()
            sums = entity.sums
            newest = -1
            for slot, start in zip(slots, starts, strict=True):
                samples = (slot.get(n_name) or NO_VALUE).get("value")
                total = (slot.get(sum_name) or NO_VALUE).get("value")
                if not samples or total is None:
                    continue  # no sample of this metric in the bucket
                cell = sums.get(start)
                if cell is None:
                    sums[start] = [float(total), float(samples)]
                else:
                    cell[0] += float(total)
                    cell[1] += float(samples)
                if start > newest:
                    newest = start
            if newest > entity.group_seen:
                entity.group = group
                entity.group_seen = newest

    def result(self, *, since: int, interval: int) -> dict[str, list[EntityBuckets]]:
        """Averages per bucket and metric; buckets before the window become `last_before`,
        timed at the bucket's end as the embedded store does."""
        first = since - since % interval
        out: dict[str, list[EntityBuckets]] = {}
        for metric, entities in self._entities.items():
            found_all = out[metric] = []
            for ident, entity in entities.items():
                averages = {b: s / n for b, (s, n) in sorted(entity.sums.items()) if n}
                found = sender_buckets(entity.group, ident, averages, first, interval)
                if found.averages or found.last_before is not None:
                    found_all.append(found)
        return out


@dataclass(frozen=True)
class ItemResult:
    """One bulk item's fate: `inserted`, `duplicate`, `retry` (429/5xx: the cluster was
    overloaded or a shard unavailable, try again later) or `failed` (the document itself
    was refused; retrying cannot help)."""

    doc_id: str
    outcome: str
    status: int
    reason: str = ""
    index: str = ""  # the index that answered (a data stream's backing index)


def bulk_item(ok: bool, item: Body) -> ItemResult:
    """Classify one (ok, item) pair yielded by helpers.streaming_bulk."""
    try:
        ((_, info),) = item.items()
    except ValueError:
        raise UnexpectedResponse("a bulk item is not a single {op: result} object") from None
    status = int(info.get("status", 500))
    doc_id = str(info.get("_id", ""))
    index = str(info.get("_index", ""))
    if ok and 200 <= status < 300:
        return ItemResult(doc_id, "inserted", status, index=index)
    reason = _error_reason(info.get("error"))
    if status == 409:
        return ItemResult(doc_id, "duplicate", status, reason, index)
    if status == 429 or status >= 500:
        return ItemResult(doc_id, "retry", status, reason, index)
    return ItemResult(doc_id, "failed", status, reason, index)


def _error_reason(error: Any) -> str:
    if isinstance(error, Mapping):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
    return str(error or "")


def too_many_buckets(body: Any) -> bool:
    """Whether an error answer is the cluster's `search.max_buckets` refusal."""
    return "too_many_buckets" in json.dumps(body, default=str)


def deleted_count(body: Body) -> int:
    try:
        return int(body["deleted"])
    except (KeyError, TypeError, ValueError):
        raise UnexpectedResponse("no 'deleted' count in the delete_by_query response") from None


def sort_by_entity(messages: Iterable[Message], entity_fields: tuple[str, ...]) -> list[Message]:
    return sorted(messages, key=lambda m: tuple(str(getattr(m, f) or "") for f in entity_fields))


# The server majors this code was written for (see docs/elasticsearch.md).
SUPPORTED_MAJORS = (8, 9)


@dataclass(frozen=True)
class ServerInfo:
    """What `GET /` says about the server, read without the compatibility header so that
    servers which would refuse it (ES 7, OpenSearch) still tell us what they are."""

    product: str  # "Elasticsearch", "OpenSearch" or "unknown"
    version: str
    distribution: str
    build_flavor: str
    product_header: bool  # X-Elastic-Product: Elasticsearch was present

    @property
    def major(self) -> int:
        head = self.version.split(".", 1)[0]
        return int(head) if head.isdigit() else 0

    def describe(self) -> str:
        return (
            f"{self.product} {self.version} "
            f"(distribution {self.distribution}, build flavor {self.build_flavor})"
        )


def server_info(headers: Mapping[str, str], body: Any) -> ServerInfo:
    if not isinstance(body, Mapping) or not isinstance(body.get("version"), Mapping):
        raise UnexpectedResponse("GET / did not answer with a version object")
    version = body["version"]
    distribution = str(version.get("distribution") or "default")
    tagline = str(body.get("tagline", ""))
    lowered = {k.lower(): v for k, v in headers.items()}
    header = lowered.get("x-elastic-product") == "Elasticsearch"
    if distribution.lower() == "opensearch" or "opensearch" in tagline.lower():
        product = "OpenSearch"
    elif header or "you know, for search" in tagline.lower():
        product = "Elasticsearch"
    else:
        product = "unknown"
    return ServerInfo(
        product=product,
        version=str(version.get("number", "?")),
        distribution=distribution,
        build_flavor=str(version.get("build_flavor") or "-"),
        product_header=header,
    )


def server_info_from_nodes(headers: Mapping[str, str], body: Any) -> ServerInfo:
    """ServerInfo from GET _nodes/_local, for servers without GET / (stripped distributions,
    which still send the X-Elastic-Product header on every answer)."""
    nodes = body.get("nodes") if isinstance(body, Mapping) else None
    node = next(iter(nodes.values()), None) if isinstance(nodes, Mapping) and nodes else None
    if not isinstance(node, Mapping) or "version" not in node:
        raise UnexpectedResponse("GET _nodes/_local did not name the node's version")
    root = {
        "version": {"number": node["version"], "build_flavor": node.get("build_flavor")},
        "tagline": "",
    }
    return server_info(headers, root)


def server_problem(info: ServerInfo) -> str | None:
    """Why this server cannot hold VacMon's data, or None if it can."""
    supported = " or ".join(f"{m}.x" for m in SUPPORTED_MAJORS)
    if info.product == "OpenSearch":
        return (
            f"the server is OpenSearch {info.version}, not Elasticsearch: the official "
            f"Elasticsearch client refuses it. VacMon needs Elasticsearch {supported}."
        )
    if info.product != "Elasticsearch" or not info.product_header:
        return (
            "the server did not identify itself as Elasticsearch (no 'X-Elastic-Product: "
            f"Elasticsearch' header). VacMon needs Elasticsearch {supported}."
        )
    if info.major < SUPPORTED_MAJORS[0]:
        return (
            f"Elasticsearch {info.version} is too old: VacMon needs {supported} "
            "(data streams with lifecycles and compatible-with=8 requests)."
        )
    if info.major > SUPPORTED_MAJORS[-1]:
        return (
            f"Elasticsearch {info.version} is newer than this code knows: the 8.x client "
            f"is only accepted by {supported} servers."
        )
    return None


def template_version(body: Body, name: str) -> int | None:
    """The `version` of index template `name` in a GET _index_template answer, None if
    absent; 0 if it exists without a version (created by hand)."""
    for entry in body.get("index_templates", []):
        if entry.get("name") == name:
            return int(entry.get("index_template", {}).get("version") or 0)
    return None


def template_retention(body: Body, name: str) -> str | None:
    for entry in body.get("index_templates", []):
        if entry.get("name") == name:
            lifecycle = entry.get("index_template", {}).get("template", {}).get("lifecycle")
            if isinstance(lifecycle, Mapping):
                return str(lifecycle.get("data_retention", "infinite"))
    return None
