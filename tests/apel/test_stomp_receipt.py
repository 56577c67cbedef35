"""A broker that never sends RECEIPT: the batch must not count as sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from apel.config import BrokerAddress, StompSettings
from apel.forwarder import Forwarder
from apel.outbox import SqliteOutbox
from apel.parse import parse_message
from apel.stomp_sender import StompSender
from tests.apel.fake_broker import FakeBroker
from tests.apel.helpers import NOW, many_jobs


@pytest.fixture
def silent_broker() -> Iterator[FakeBroker]:
    """Answers CONNECT, swallows SEND frames, never acknowledges them."""
    broker = FakeBroker()
    yield broker
    broker.close()


def test_a_send_without_receipt_stays_in_the_outbox(
    silent_broker: FakeBroker, tmp_path: Path
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
    headers = silent_broker.send_headers()
    assert "destination:/queue/global.accounting.cpu.central" in headers
    assert f"empa-id:{report.failures[0][0]}" in headers
    assert f"receipt:{report.failures[0][0]}" in headers


def test_every_message_is_sent_persistent(silent_broker: FakeBroker, tmp_path: Path) -> None:
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
    assert "persistent:true" in silent_broker.send_headers()
