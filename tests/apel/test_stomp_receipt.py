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


def test_a_broker_that_never_receipts_one_batch_of_a_window_leaves_exactly_that_batch_unsent(
    tmp_path: Path,
) -> None:
    # Three batches go out before any receipt is awaited; the broker acknowledges the
    # first and the third. Only its own receipt marks a batch sent.
    broker = FakeBroker(receipt_for=lambda n: n != 2)
    try:
        box = SqliteOutbox(tmp_path / "outbox.sqlite3")
        box.add(parse_message(many_jobs(2500), NOW).records)
        settings = StompSettings(
            brokers=(BrokerAddress("127.0.0.1", broker.port),),
            destination="/queue/global.accounting.cpu.central",
            use_ssl=False,
        )
        sender = StompSender(settings, receipt_timeout=1)
        report = Forwarder(box, sender, lambda b: b).run_once()
    finally:
        broker.close()
    sends = [f for f in broker.frames if f.startswith(b"SEND")]
    empa_ids = [
        next(line for line in f.split(b"\n") if line.startswith(b"empa-id:"))[8:].decode()
        for f in sends
    ]
    assert len(empa_ids) == 3
    assert (report.sent_batches, report.sent_records) == (2, 1500)
    assert report.failures == [(empa_ids[1], "No receipt")]
    assert box.pending_records() == 1000
    assert box.batch_state(empa_ids[1])["sent_at"] is None
    assert box.batch_state(empa_ids[0])["sent_at"] is not None
    assert box.batch_state(empa_ids[2])["sent_at"] is not None
    assert box.sent_records() == 1500
