from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apel.ams_sender import AmsSender
from apel.config import AmsSettings
from apel.transport import TransportError


class FakeAms(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, object]]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        FakeAms.received.append((self.path, json.loads(self.rfile.read(length))))
        answer = {"messageIds": ["1"]} if FakeAms.status == 200 else {"error": "nope"}
        data = json.dumps(answer).encode()
        self.send_response(FakeAms.status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def ams() -> Iterator[AmsSettings]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAms)
    FakeAms.received, FakeAms.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield AmsSettings(f"http://127.0.0.1:{server.server_port}", "accounting", "gLite-APEL", "t0k")
    server.shutdown()
    server.server_close()


def test_it_publishes_base64_data_with_the_empa_id_attribute(ams: AmsSettings) -> None:
    AmsSender(ams, timeout=5).send("batch-1", "signed text\n")
    ((path, payload),) = FakeAms.received
    assert path == "/v1/projects/accounting/topics/gLite-APEL:publish?key=t0k"
    (message,) = payload["messages"]  # type: ignore[misc]
    assert message["attributes"] == {"empaid": "batch-1"}
    assert base64.b64decode(message["data"]).decode() == "signed text\n"


def test_an_error_answer_is_a_transport_error(ams: AmsSettings) -> None:
    FakeAms.status = 403
    with pytest.raises(TransportError, match="403"):
        AmsSender(ams, timeout=5).send("batch-1", "x")


def test_a_closed_port_is_a_transport_error(ams: AmsSettings) -> None:
    closed = AmsSettings("http://127.0.0.1:9", "p", "t", "k")
    with pytest.raises(TransportError):
        AmsSender(closed, timeout=2).send("batch-1", "x")
