"""What a failed send says: the exception's class and text, and the broker's ERROR frame."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from apel.config import BrokerAddress, StompSettings
from apel.stomp_sender import StompSender, broker_error_text, describe
from apel.transport import TransportError


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RefusingBroker:
    """Answers every CONNECT with an ERROR frame, as a broker refusing credentials does."""

    def __init__(self, message: str, body: str) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.reply = f"ERROR\nmessage:{message}\ncontent-type:text/plain\n\n{body}\x00".encode()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.server.settimeout(10)
        try:
            client, _ = self.server.accept()
        except OSError:
            return
        with client:
            client.settimeout(10)
            try:
                if b"\x00" in client.recv(65536):
                    client.sendall(self.reply)
                client.recv(65536)  # wait for the client to go
            except OSError:
                return


@pytest.fixture
def refusing_broker() -> Iterator[RefusingBroker]:
    broker = RefusingBroker("Bad CONNECT", "Access refused for user 'guest'")
    yield broker
    broker.server.close()


def sender(port: int) -> StompSender:
    settings = StompSettings(
        brokers=(BrokerAddress("127.0.0.1", port),), destination="/queue/x", use_ssl=False
    )
    return StompSender(settings, receipt_timeout=2)


def test_it_names_the_exception_class_when_no_broker_listens() -> None:
    port = closed_port()
    with pytest.raises(TransportError) as caught:
        sender(port).send("m1", "body")
    # stomp.py's ConnectFailedException has no text of its own: the class is the reason.
    assert str(caught.value) == f"No broker reachable: 127.0.0.1:{port}: ConnectFailedException"


def test_it_reports_the_brokers_error_frame_message_and_body(
    refusing_broker: RefusingBroker,
) -> None:
    with pytest.raises(TransportError) as caught:
        sender(refusing_broker.port).send("m1", "body")
    assert str(caught.value) == (
        f"No broker reachable: 127.0.0.1:{refusing_broker.port}:"
        " Broker error: Bad CONNECT: Access refused for user 'guest'"
    )


def test_it_describes_an_exception_by_class_and_text() -> None:
    assert describe(ConnectionResetError(104, "Connection reset by peer")) == (
        "ConnectionResetError: [Errno 104] Connection reset by peer"
    )
    assert describe(OSError()) == "OSError"


def test_an_error_frame_keeps_its_header_and_its_body() -> None:
    assert broker_error_text({"message": "not_found"}, "NOT_FOUND - no queue 'x'\n") == (
        "not_found: NOT_FOUND - no queue 'x'"
    )
    assert broker_error_text({}, "only a body") == "only a body"
    assert broker_error_text({"message": "same"}, "same") == "same"
    assert broker_error_text({}, "") == "ERROR frame without a message"
