"""The checks behind `manage.py check_store` for the Elasticsearch store.

`run()` yields one `Line` per finding and raises `CheckFailed` at the first problem that makes
the store unusable, with a message an operator can act on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from factories.messages import MESSAGE_TYPES, Message
from vacmon.store.base import Scope
from vacmon.store.es import builders, capabilities, parsers, templates
from vacmon.store.es.bulk import BulkOutcome, Unavailable
from vacmon.store.es.client import EsSettings, auth_headers
from vacmon.store.es.spool import Spool


class CheckedStore(Protocol):
    """What the checks use of the store; vacmon.store.elasticsearch.ElasticsearchStore has it.
    Named here so that the facade imports its parts and no part imports the facade."""

    client: Elasticsearch
    prefix: str
    lifecycle: str
    spool: Spool | None
    settings: EsSettings | None

    def send_now(self, messages: Sequence[Message]) -> BulkOutcome: ...

    def history(
        self,
        message_type: str,
        *,
        since: int,
        until: int,
        scope: Scope = ...,
        limit: int = ...,
        fields: Sequence[str] | None = ...,
    ) -> list[Message]: ...


# The round trip writes under this site name and deletes what it wrote afterwards.
CHECK_SITE = "vacmon-check"
CHECK_SPACE = "check.vacmon.invalid"


@dataclass(frozen=True)
class Line:
    label: str
    status: str  # "ok", "warn" or "fail"
    detail: str


class CheckFailed(Exception):
    pass


_ALL = capabilities.Capabilities()


def check_message(now: int) -> Message:
    fields: dict[str, Any] = {
        "message_type": "factory_status",
        "site": CHECK_SITE,
        "space": CHECK_SPACE,
        "factory": f"check-store.{CHECK_SPACE}",
        "time_sent": now,
        "running_processors": 0,
    }
    return Message(
        message_type="factory_status",
        site=CHECK_SITE,
        space=CHECK_SPACE,
        factory=fields["factory"],
        time_sent=now,
        time_received=now,
        fields=fields,
    )


def run(store: CheckedStore, *, now: int | None = None) -> Iterator[Line]:
    url = store.settings.url if store.settings else "the configured URL"
    info = probe(store, url)
    yield Line("server", "ok", f"{info.describe()} at {url}")
    caps = capabilities.of_client(store.client, _auth(store))
    yield from capability_lines(store, caps)
    yield compatibility(store, caps)
    yield from installation(store)
    yield round_trip(store, int(time.time()) if now is None else now, caps)
    yield spool_state(store)


def _auth(store: CheckedStore) -> dict[str, str]:
    return auth_headers(store.settings) if store.settings is not None else {}


def probe(store: CheckedStore, url: str) -> parsers.ServerInfo:
    """GET / without the compatibility header, so that servers which would refuse it (ES 7,
    OpenSearch) still say what they are. A server without GET / (a stripped distribution)
    is asked GET _nodes/_local instead."""
    headers = {"accept": "application/json", **_auth(store)}
    meta, body = _perform(store, url, "GET", "/", headers)
    if capabilities.missing_handler(meta.status, body):
        meta, body = _perform(store, url, "GET", NODES_INFO, headers)
        _refused(meta.status, body, url, "GET _nodes/_local")
        read = parsers.server_info_from_nodes
    else:
        _refused(meta.status, body, url, "GET /")
        read = parsers.server_info
    try:
        info = read(meta.headers, body)
    except parsers.UnexpectedResponse as exc:
        raise CheckFailed(f"{url} does not look like Elasticsearch: {exc}") from None
    problem = parsers.server_problem(info)
    if problem:
        raise CheckFailed(problem)
    return info


NODES_INFO = "/_nodes/_local?filter_path=nodes.*.version,nodes.*.build_flavor"


def _perform(store: CheckedStore, url: str, method: str, path: str, headers: dict[str, str]) -> Any:
    try:
        return store.client.transport.perform_request(method, path, headers=headers)
    except TransportError as exc:
        raise CheckFailed(f"cannot reach Elasticsearch at {url}: {exc}") from None


def _refused(status: int, body: Any, url: str, request: str) -> None:
    if status == 401:
        raise CheckFailed(
            f"Elasticsearch at {url} refused our credentials (HTTP 401): check "
            "ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME/ELASTICSEARCH_PASSWORD"
        )
    if status == 403:
        raise CheckFailed(
            f"Elasticsearch at {url} accepted our credentials but refused {request} "
            "(HTTP 403): the key or user needs the 'monitor' cluster privilege"
        )
    if not 200 <= status < 300:
        raise CheckFailed(f"{request} at {url} answered HTTP {status}: {str(body)[:200]}")


def capability_lines(store: CheckedStore, caps: capabilities.Capabilities) -> Iterator[Line]:
    """One line per optional API; fail only when the configured lifecycle needs a missing
    one, naming the setting that makes the store work on this cluster."""
    for name, needed_for in capabilities.NEEDED_FOR.items():
        if getattr(caps, name):
            yield Line(f"capability {name}", "ok", "served")
        else:
            yield Line(f"capability {name}", "warn", f"MISSING: needed for {needed_for}")
    if not caps.supports(store.lifecycle):
        raise CheckFailed(
            f"ELASTICSEARCH_LIFECYCLE={store.lifecycle}, but this cluster does not serve "
            f"{capabilities.LIFECYCLE_NEEDS[store.lifecycle]}: set ELASTICSEARCH_LIFECYCLE=none "
            "(and manage retention by deleting old backing indices) or use a cluster with it"
        )


def compatibility(store: CheckedStore, caps: capabilities.Capabilities = _ALL) -> Line:
    """The client sends `compatible-with=8` on every request; ES 8 and 9 must accept it."""
    try:
        if caps.root_info:
            store.client.info()
        else:
            store.client.cluster.health()
    except (ApiError, TransportError) as exc:
        raise CheckFailed(
            f"the server refused our compatibility header (compatible-with=8): {exc}"
        ) from None
    return Line("compatibility", "ok", "requests with compatible-with=8 are accepted")


def installation(store: CheckedStore) -> Iterator[Line]:
    """Whether our templates and lifecycle are installed; missing ones are only a warning
    because the round trip (like the first write) installs them."""
    prefix = store.prefix
    for message_type in MESSAGE_TYPES:
        name = templates.template_name(prefix, message_type)
        body = _get(lambda n=name: store.client.indices.get_index_template(name=n))
        version = parsers.template_version(body, name) if body else None
        if body is None or version is None:
            yield Line(f"template {name}", "warn", "missing (installed by the round trip)")
            continue
        current = version == templates.TEMPLATE_VERSION
        detail = f"version {version}" + (
            "" if current else f", updating to {templates.TEMPLATE_VERSION}"
        )
        yield Line(f"template {name}", "ok" if current else "warn", detail)
        if store.lifecycle == "dsl":
            retention = parsers.template_retention(body, name)
            yield Line(
                f"lifecycle {name}",
                "ok" if retention else "warn",
                f"data stream lifecycle, retention {retention}" if retention else "no lifecycle",
            )
    if store.lifecycle == "none":
        yield Line(
            "lifecycle",
            "warn",
            "ELASTICSEARCH_LIFECYCLE=none: nothing deletes old messages; delete old backing "
            "indices yourself",
        )
    if store.lifecycle == "ilm":
        policy = templates.ilm_policy_name(prefix)
        found = _get(lambda: store.client.ilm.get_lifecycle(name=policy))
        yield Line(
            f"lifecycle {policy}",
            "ok" if found else "warn",
            "ILM policy present" if found else "ILM policy missing (installed by the round trip)",
        )


def _get(call: Any) -> dict[str, Any] | None:
    try:
        return dict(call().body)
    except NotFoundError:
        return None
    except ApiError as exc:
        if exc.status_code in (401, 403):
            raise CheckFailed(
                f"not allowed to read templates or policies (HTTP {exc.status_code}): the key "
                "or user needs manage_index_templates and manage_ilm"
            ) from None
        raise CheckFailed(f"reading templates failed: {exc}") from None


def round_trip(store: CheckedStore, now: int, caps: capabilities.Capabilities = _ALL) -> Line:
    message = check_message(now)
    stream = templates.stream_name(store.prefix, message.message_type)
    started = time.monotonic()
    try:
        outcome = store.send_now([message])
        if outcome.failed or outcome.retry:
            reason = outcome.failed[0][1] if outcome.failed else "429/5xx after retries"
            raise CheckFailed(f"the cluster refused the check message: {reason}")
        store.client.indices.refresh(index=stream)
        found = store.history(
            message.message_type,
            since=now,
            until=now,
            scope=Scope(site=CHECK_SITE, factory=message.factory),
            limit=10,
        )
        _remove(store, stream, message, caps)
    except Unavailable as exc:
        raise CheckFailed(f"writing the check message failed: {exc}") from None
    except (ApiError, TransportError) as exc:
        raise CheckFailed(f"the round trip failed: {exc}") from None
    if not any(m.key == message.key for m in found):
        raise CheckFailed("the check message was written and refreshed but not read back")
    elapsed = (time.monotonic() - started) * 1000
    return Line("round trip", "ok", f"write, refresh and read back in {elapsed:.0f} ms ({stream})")


def _remove(
    store: CheckedStore, stream: str, message: Message, caps: capabilities.Capabilities
) -> None:
    """Delete what the round trip wrote: by query where the cluster can, else by id in the
    backing index the search names (a data stream takes no delete by id itself)."""
    if caps.delete_by_query:
        store.client.delete_by_query(
            index=stream, query={"term": {"site": CHECK_SITE}}, conflicts="proceed", refresh=True
        )
        return
    doc_id = builders.doc_id(message)
    found = store.client.search(index=stream, query={"ids": {"values": [doc_id]}}, source=False)
    for hit in found.body.get("hits", {}).get("hits", []):
        store.client.delete(index=hit["_index"], id=hit["_id"], refresh=True)


def spool_state(store: CheckedStore) -> Line:
    if store.spool is None:
        return Line("spool", "warn", "no spool: writes fail while the cluster is away")
    size, pending = store.spool.size(), store.spool.pending()
    detail = f"{size} of {store.spool.max_bytes} bytes used in {store.spool.directory}"
    if pending:
        return Line("spool", "warn", detail + "; messages wait to be replayed")
    return Line("spool", "ok", detail)
