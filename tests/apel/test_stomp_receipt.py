"""A broker that never sends RECEIPT: the batch must not count as sent."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from apel.config import BrokerAddress, StompSettings
from apel.forwarder import Forwarder
from apel.outbox import SqliteOutbox
from apel.parse import parse_message
from apel.stomp_sender import StompSender
from tests.apel.helpers import NOW, many_jobs


class SilentBroker:
    """Answers CONNECT, swallows SEND frames, never acknowledges them."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.frames: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.server.settimeout(10)
        try:
            client, _ = self.server.accept()
        except OSError:
            return
        with client:
            client.settimeout(10)
            buffer = b""
            while True:
                try:
                    chunk = client.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while b"\x00" in buffer:
                    frame, buffer = buffer.split(b"\x00", 1)
                    frame = frame.lstrip(b"\r\n")
                    self.frames.append(frame)
                    if frame.startswith((b"STOMP", b"CONNECT")):
                        client.sendall(b"CONNECTED\nversion:1.1\n\n\x00")


@pytest.fixture
def silent_broker() -> Iterator[SilentBroker]:
    broker = SilentBroker()
    yield broker
    broker.server.close()


def test_a_send_without_receipt_stays_in_the_outbox(
    silent_broker: SilentBroker, tmp_path: Path
) -> None:
    box = SqliteOutbox(tmp_path / "outbox.sqlite3")
    box.add(parse_message(many_jobs(10), NOW).records)
    settings = StompSettings(
        brokers=(BrokerAddress("127.0.0.1", silent_broker.port),),
        destination="/queue/global.accounting.cpu.central",
        use_ssl=False,
    )
    report = Forwarder(box, StompSender(settings, receipt_timeout=1), lambda b: b).run_once()
    assert report.sent_records == 0
    assert report.failures[0][1] == "No receipt"
    assert box.pending_records() == 10
    send = next(f for f in silent_broker.frames if f.startswith(b"SEND"))
    headers = send.split(b"\n\n", 1)[0].decode().split("\n")[1:]
    assert "destination:/queue/global.accounting.cpu.central" in headers
    assert f"empa-id:{report.failures[0][0]}" in headers
    assert f"receipt:{report.failures[0][0]}" in headers


def test_every_message_is_sent_persistent(silent_broker: SilentBroker, tmp_path: Path) -> None:
    # Without the header RabbitMQ and ActiveMQ keep the message in memory only, and a
    # broker restart after the receipt loses it.
    box = SqliteOutbox(tmp_path / "outbox.sqlite3")
    box.add(parse_message(many_jobs(3), NOW).records)
    settings = StompSettings(
        brokers=(BrokerAddress("127.0.0.1", silent_broker.port),),
        destination="/queue/global.accounting.cpu.central",
        use_ssl=False,
    )
    Forwarder(box, StompSender(settings, receipt_timeout=1), lambda b: b).run_once()
    send = next(f for f in silent_broker.frames if f.startswith(b"SEND"))
    assert "persistent:true" in send.split(b"\n\n", 1)[0].decode().split("\n")[1:]
