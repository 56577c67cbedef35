"""A small threaded HTTP server that answers like Elasticsearch with canned bodies.

It records every request (method, path, query, headers, body) so tests can assert exactly
what the real client sent. Routes are matched by method and a path regex; a route answers
with its responses in order and repeats the last. A server made with `listen=False` holds its
port without listening, so connecting is refused until `listen()` is called.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

COMPAT_JSON = "application/vnd.elasticsearch+json;compatible-with=8"

ES8_INFO = {
    "name": "fake-node",
    "cluster_name": "fake",
    "version": {"number": "8.19.3", "build_flavor": "default", "build_type": "docker"},
    "tagline": "You Know, for Search",
}
ES9_INFO = {**ES8_INFO, "version": {"number": "9.1.0", "build_flavor": "default"}}
ES7_INFO = {**ES8_INFO, "version": {"number": "7.17.21", "build_flavor": "default"}}
OPENSEARCH_INFO = {
    "name": "fake-node",
    "cluster_name": "fake",
    "version": {"distribution": "opensearch", "number": "2.15.0"},
    "tagline": "The OpenSearch Project: https://opensearch.org/",
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def ndjson(self) -> list[Any]:
        return [json.loads(line) for line in self.body.decode().splitlines() if line]


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"acknowledged": True})
    headers: dict[str, str] = field(default_factory=dict)


Responder = Callable[[Request], Reply]


class FakeElasticsearch:
    def __init__(
        self,
        *,
        info: dict[str, Any] | None = None,
        product: str = "Elasticsearch",
        listen: bool = True,
    ) -> None:
        self.requests: list[Request] = []
        self.product = product
        self._routes: list[tuple[str, re.Pattern[str], list[Responder]]] = []
        self._lock = threading.Lock()
        self.on("GET", r"/", Reply(body=info or ES8_INFO))
        self.server = ThreadingHTTPServer(
            ("127.0.0.1", 0), self._handler(), bind_and_activate=False
        )
        self.server.daemon_threads = True
        self.server.server_bind()
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None
        if listen:
            self.listen()

    def listen(self) -> None:
        self.server.server_activate()
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
        self.server.server_close()

    def on(self, method: str, path: str, *replies: Reply | Responder) -> None:
        """Answer `method path` (a regex matched against the whole path) with `replies` in
        order, repeating the last; newer routes win over older ones."""
        responders = [r if callable(r) else _constant(r) for r in replies]
        with self._lock:
            self._routes.insert(0, (method, re.compile(path), responders))

    def seen(self, method: str, path: str) -> list[Request]:
        pattern = re.compile(path)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            for method, pattern, responders in self._routes:
                if method == request.method and pattern.fullmatch(request.path):
                    responder = responders.pop(0) if len(responders) > 1 else responders[0]
                    break
            else:
                responder = _default
        return responder(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One buffered write per response and no Nagle: otherwise every request waits
            # out the client's delayed ACK (~40 ms).
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = fake._answer(request)
                data = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                if fake.product:
                    self.send_header("X-Elastic-Product", fake.product)
                self.send_header("Content-Type", reply.headers.get("content-type", COMPAT_JSON))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _constant(reply: Reply) -> Responder:
    return lambda request: reply


def _default(request: Request) -> Reply:
    if request.method == "PUT":
        return Reply()
    error = {"type": "index_not_found_exception", "reason": f"no such index [{request.path}]"}
    return Reply(status=404, body={"error": {"root_cause": [error], **error}, "status": 404})


def bulk_reply(*statuses: int) -> Responder:
    """A _bulk answer with one item per action in the request: the message documents
    (`create`) get the given statuses in order (the last repeats), the latest-state writes
    (`index`) 200. Errors carry the type ES uses for that status."""

    def respond(request: Request) -> Reply:
        lines = request.ndjson()
        items = []
        created = 0
        for action in lines[0::2]:
            ((op, meta),) = action.items()
            if op == "create":
                status = statuses[min(created, len(statuses) - 1)]
                created += 1
            else:
                status = 200
            item: dict[str, Any] = {"_index": meta["_index"], "_id": meta["_id"], "status": status}
            if status >= 300:
                item["error"] = {"type": _ERROR_TYPES.get(status, "exception"), "reason": "canned"}
            items.append({op: item})
        errors = any(item[op]["status"] >= 300 for item in items for op in item)
        return Reply(body={"took": 1, "errors": errors, "items": items})

    return respond


_ERROR_TYPES = {
    400: "document_parsing_exception",
    409: "version_conflict_engine_exception",
    429: "es_rejected_execution_exception",
    503: "unavailable_shards_exception",
}


def error_reply(status: int, kind: str) -> Reply:
    error = {"type": kind, "reason": "canned"}
    return Reply(status=status, body={"error": {"root_cause": [error], **error}, "status": status})
