"""Against the real RabbitMQ STOMP adapter on 127.0.0.1:61613."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from apel.config import BrokerAddress, StompSettings
from apel.forwarder import Backoff, Forwarder
from apel.outbox import SqliteOutbox
from apel.parse import parse_message
from apel.smime import Signer, inner_text, verify_with_openssl
from apel.stomp_sender import StompSender
from tests.apel.broker_support import consume, delete_queue, new_queue_name
from tests.apel.helpers import NOW, Pki, many_jobs

pytestmark = pytest.mark.broker


@pytest.fixture
def queue(rabbitmq: tuple[str, int]) -> Iterator[str]:
    name = new_queue_name()
    yield name
    delete_queue(name)


def settings(queue: str, *brokers: BrokerAddress) -> StompSettings:
    return StompSettings(
        brokers=brokers or (BrokerAddress("127.0.0.1", 61613),),
        destination=f"/queue/{queue}",
        use_ssl=False,
        username="guest",
        password="guest",
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def signer(pki: Pki) -> Signer:
    return Signer.from_files(pki.cert_file, pki.key_file, datetime.now(UTC))


def filled_outbox(tmp_path: Path, count: int) -> tuple[SqliteOutbox, list[object]]:
    box = SqliteOutbox(tmp_path / "outbox.sqlite3")
    records = parse_message(many_jobs(count), NOW).records
    box.add(records)
    return box, list(records)


def test_records_received_equal_records_accepted(
    queue: str, tmp_path: Path, signer: Signer, pki: Pki
) -> None:
    box, accepted = filled_outbox(tmp_path, 2100)
    sender = StompSender(settings(queue), receipt_timeout=10)
    report = Forwarder(box, sender, signer.seal).run_once()
    assert (report.sent_batches, report.sent_records, report.failures) == (3, 2100, [])

    received = consume("127.0.0.1", 61613, queue, expected=3)
    assert len(received) == 3
    records = []
    for message in received:
        body = inner_text(verify_with_openssl(message.body, pki.ca_file))
        records.extend(parse_message(body, NOW).records)
    assert records == accepted
    assert len({m.empa_id for m in received}) == 3
    assert box.pending_records() == 0


def test_a_refused_connection_loses_nothing_and_the_next_broker_is_tried(
    queue: str, tmp_path: Path, signer: Signer
) -> None:
    box, _ = filled_outbox(tmp_path, 10)
    dead = BrokerAddress("127.0.0.1", closed_port())
    down = Forwarder(box, StompSender(settings(queue, dead)), signer.seal).run_once()
    assert down.sent_records == 0 and "No broker reachable" in down.failures[0][1]
    assert box.pending_records() == 10

    live = BrokerAddress("127.0.0.1", 61613)
    later = lambda: datetime.now(UTC) + timedelta(hours=1)  # noqa: E731 - after the backoff
    sender = StompSender(settings(queue, dead, live))
    report = Forwarder(box, sender, signer.seal, Backoff(), later).run_once()
    assert report.sent_records == 10
    (message,) = consume("127.0.0.1", 61613, queue, expected=1)
    assert message.empa_id == down.failures[0][0]
    assert box.pending_records() == 0


def test_a_lost_receipt_bookkeeping_resends_with_the_same_empa_id(
    queue: str, tmp_path: Path, signer: Signer, pki: Pki
) -> None:
    box, accepted = filled_outbox(tmp_path, 5)
    batch = box.claim_next_batch(datetime.now(UTC))
    assert batch is not None
    sender = StompSender(settings(queue))
    sender.send(batch.batch_id, signer.seal(batch.body))  # receipt arrives ...
    sender.close()  # ... and the process dies before mark_sent

    after_lease = lambda: datetime.now(UTC) + timedelta(minutes=6)  # noqa: E731
    report = Forwarder(box, StompSender(settings(queue)), signer.seal, clock=after_lease).run_once()
    assert report.sent_batches == 1

    received = consume("127.0.0.1", 61613, queue, expected=2)
    assert [m.empa_id for m in received] == [batch.batch_id, batch.batch_id]
    bodies = {inner_text(verify_with_openssl(m.body, pki.ca_file)) for m in received}
    assert bodies == {batch.body}
    assert parse_message(batch.body, NOW).records == accepted
