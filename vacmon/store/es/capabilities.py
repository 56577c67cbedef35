"""Which optional REST APIs a cluster serves (pure parts, and the one probe that asks).

A full Elasticsearch distribution serves all of them. Stripped ones do not: Elastic's
integration-test distribution (the server the test suite runs against) has no `GET /`,
no data-stream REST endpoints, no data stream lifecycle, no ILM and no delete-by-query,
because those live in modules it leaves out. A route that no module registered is answered
with "no handler found for uri ..." or "Incorrect HTTP method for uri ..." (HTTP 400/405);
a served route asked about a name that does not exist answers 404 instead. That difference
is what `probe` reads, so the answer holds whatever the modules are called in a version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

# What each capability is needed for, in the words check_store prints when it is missing.
NEEDED_FOR = {
    "root_info": "GET / (server info); check_store falls back to GET _nodes/_local",
    "data_stream_api": "listing and deleting data streams (GET/DELETE _data_stream)",
    "data_stream_lifecycle": "ELASTICSEARCH_LIFECYCLE=dsl (data stream lifecycle retention)",
    "ilm": "ELASTICSEARCH_LIFECYCLE=ilm (an ILM policy)",
    "delete_by_query": "deleting check_store's round-trip message and store.purge",
}

LIFECYCLE_NEEDS = {
    "dsl": "the data stream lifecycle API (PUT _data_stream/<name>/_lifecycle)",
    "ilm": "the ILM API (PUT _ilm/policy/<name>)",
}

# One request per capability, for a name nothing else uses: on a full server each answers
# 404, which proves the route exists without touching data.
PROBE_NAME = "vacmon-capability-probe-none"
PROBES = {
    "root_info": ("GET", "/"),
    "data_stream_api": ("GET", f"/_data_stream/{PROBE_NAME}"),
    "data_stream_lifecycle": ("GET", f"/_data_stream/{PROBE_NAME}/_lifecycle"),
    "ilm": ("GET", f"/_ilm/policy/{PROBE_NAME}"),
    "delete_by_query": ("POST", f"/{PROBE_NAME}/_delete_by_query?ignore_unavailable=true"),
}


@dataclass(frozen=True)
class Capabilities:
    root_info: bool = True
    data_stream_api: bool = True
    data_stream_lifecycle: bool = True
    ilm: bool = True
    delete_by_query: bool = True

    def missing(self) -> list[str]:
        return [f.name for f in fields(self) if not getattr(self, f.name)]

    def supports(self, lifecycle: str) -> bool:
        """Whether ELASTICSEARCH_LIFECYCLE=`lifecycle` can work on this cluster."""
        if lifecycle == "dsl":
            return self.data_stream_lifecycle
        if lifecycle == "ilm":
            return self.ilm
        return True


def missing_handler(status: int, body: Any) -> bool:
    """Whether an error answer says the route does not exist on this server at all."""
    if status not in (400, 405):
        return False
    error = body.get("error") if isinstance(body, Mapping) else body
    if isinstance(error, Mapping):
        error = error.get("reason", "")
    text = str(error or "")
    return text.startswith(("no handler found for uri", "Incorrect HTTP method for uri"))


def probe(perform: Any) -> Capabilities:
    """Ask each probe route once. `perform(method, path)` returns (status, body) and is the
    only I/O; the client's transport, or a fake in tests."""
    found = {}
    for name, (method, path) in PROBES.items():
        status, body = perform(method, path)
        found[name] = not missing_handler(status, body)
    return Capabilities(**found)


def of_client(client: Any, headers: Mapping[str, str] | None = None) -> Capabilities:
    """Probe through the client's transport, below the API methods: those raise on the
    400/405 answers this reads, and would add the compatibility header GET / may refuse."""
    sent = {"accept": "application/json", **(headers or {})}

    def perform(method: str, path: str) -> tuple[int, Any]:
        meta, body = client.transport.perform_request(method, path, headers=sent)
        return meta.status, body

    return probe(perform)


class Unsupported(Exception):
    """The cluster does not serve an API an operation needs; the message names it."""
