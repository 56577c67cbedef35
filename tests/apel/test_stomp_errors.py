"""What a failed send says: the exception's class and text, and the broker's ERROR frame."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apel.config import BrokerAddress, StompSettings
from apel.stomp_sender import StompSender, broker_error_text, describe
from apel.transport import TransportError
from tests.apel.fake_broker import FakeBroker, error_frame
from tests.apel.ports import free_port


@pytest.fixture
def refusing_broker() -> Iterator[FakeBroker]:
    """Answers every CONNECT with an ERROR frame, as a broker refusing credentials does."""
    broker = FakeBroker(error_frame("Bad CONNECT", "Access refused for user 'guest'"))
    yield broker
    broker.close()


def sender(port: int) -> StompSender:
    settings = StompSettings(
        brokers=(BrokerAddress("127.0.0.1", port),), destination="/queue/x", use_ssl=False
    )
    return StompSender(settings, receipt_timeout=2)


def test_it_names_the_exception_class_when_no_broker_listens() -> None:
    port = free_port()
    with pytest.raises(TransportError) as caught:
        sender(port).send("m1", "body")
    # stomp.py's ConnectFailedException has no text of its own: the class is the reason.
    assert str(caught.value) == f"No broker reachable: 127.0.0.1:{port}: ConnectFailedException"


def test_it_reports_the_brokers_error_frame_message_and_body(
    refusing_broker: FakeBroker,
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
