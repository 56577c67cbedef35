"""A broker restarted between its receipt and the consumer keeps every acknowledged record.

Private RabbitMQ and ActiveMQ brokers (never the machine's shared RabbitMQ) are stopped
gracefully and started again on the same data. A forwarding pass dies after one receipt
and before its bookkeeping, so that batch goes twice: duplicates appear only under the
same empa-id, carrying the same records, and no record is lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from apel.config import BrokerAddress, StompSettings
from apel.forwarder import Forwarder
from apel.outbox import SqliteOutbox
from apel.parse import parse_message
from apel.stomp_sender import StompSender
from apel.transport import Transport
from tests.apel import activemq_support
from tests.apel.broker_support import Received, consume, new_queue_name
from tests.apel.helpers import NOW, many_jobs
from tests.apel.rabbitmq_support import PrivateRabbitMq, RabbitMqUnavailable

pytestmark = pytest.mark.broker
RECORDS = 3000  # three batches of 1,000


class DiesAfterReceipt:
    """The real sender; the pass dies once the broker acknowledged the n-th send."""

    def __init__(self, inner: Transport, dies_on: int) -> None:
        self.inner, self.dies_on, self.sends = inner, dies_on, 0
        self.died_after: str | None = None

    def send(self, message_id: str, body: str) -> None:
        self.inner.send(message_id, body)  # returns only after the RECEIPT
        self.sends += 1
        if self.sends == self.dies_on:
            self.died_after = message_id
            raise SystemExit("killed between the receipt and mark_sent")

    def close(self) -> None:
        self.inner.close()


def forward_with_a_crash(box: SqliteOutbox, settings: StompSettings) -> str:
    """Pass one dies after the second receipt; pass two, after the claim ran out, resends
    that batch under its empa-id and sends the third. Returns the resent batch's id."""
    dying = DiesAfterReceipt(StompSender(settings), dies_on=2)
    with pytest.raises(SystemExit):
        Forwarder(box, dying, lambda body: body, clock=lambda: NOW).run_once()
    assert dying.died_after is not None
    later = NOW + timedelta(minutes=6)
    report = Forwarder(
        box, StompSender(settings), lambda body: body, clock=lambda: later
    ).run_once()
    assert (report.sent_batches, report.sent_records) == (2, 2000)
    assert box.pending_records() == 0 and box.sent_records() == RECORDS
    return dying.died_after


def assert_nothing_lost(received: list[Received], resent: str) -> None:
    counts = Counter(message.empa_id for message in received)
    assert counts[resent] == 2 and len(counts) == 3
    assert all(n == 1 for empa_id, n in counts.items() if empa_id != resent)
    by_id: dict[str, list[str]] = {}
    for message in received:
        ids = [str(r.fields["LocalJobId"]) for r in parse_message(message.body, NOW).records]
        # A duplicate is the same message again, never a different cut of the records.
        assert by_id.setdefault(message.empa_id, ids) == ids
    held = sorted(job for ids in by_id.values() for job in ids)
    assert held == [f"job-{i:07d}" for i in range(RECORDS)]


def run_scenario(port: int, restart: Callable[[], None], tmp_path: Path, login: bool) -> None:
    queue = new_queue_name()
    box = SqliteOutbox(tmp_path / "outbox.sqlite3")
    box.add(parse_message(many_jobs(RECORDS), NOW).records)
    credentials = ("guest", "guest") if login else (None, None)
    settings = StompSettings(
        (BrokerAddress("127.0.0.1", port),), f"/queue/{queue}", False, *credentials
    )
    resent = forward_with_a_crash(box, settings)
    restart()  # every batch was acknowledged; nothing was consumed yet
    received = consume("127.0.0.1", port, queue, expected=4, timeout=30)
    assert_nothing_lost(received, resent)


@pytest.fixture
def rabbitmq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRabbitMq]:
    try:
        broker = PrivateRabbitMq.create(Path(tmp_path_factory.mktemp("rabbitmq")))
        broker.start()
    except RabbitMqUnavailable as error:
        pytest.skip(f"RABBITMQ RESTART TEST SKIPPED: {error}")
    yield broker
    broker.kill()


def test_acknowledged_records_survive_a_rabbitmq_restart(
    rabbitmq: PrivateRabbitMq, tmp_path: Path
) -> None:
    run_scenario(rabbitmq.stomp_port, rabbitmq.restart, tmp_path, login=True)


class RestartableActiveMq:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.process, self.port = activemq_support.start(directory, persistent=True)

    def restart(self) -> None:
        activemq_support.stop(self.process)
        self.process, _ = activemq_support.start(self.directory, persistent=True, port=self.port)


@pytest.fixture
def activemq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RestartableActiveMq]:
    try:
        broker = RestartableActiveMq(Path(tmp_path_factory.mktemp("activemq")))
    except activemq_support.ActiveMqUnavailable as error:
        pytest.skip(f"ACTIVEMQ RESTART TEST SKIPPED: {error}")
    yield broker
    activemq_support.stop(broker.process)


def test_acknowledged_records_survive_an_activemq_restart(
    activemq: RestartableActiveMq, tmp_path: Path
) -> None:
    run_scenario(activemq.port, activemq.restart, tmp_path, login=False)
