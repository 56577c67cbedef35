from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from apel.forwarder import Backoff, Forwarder
from apel.outbox import SqliteOutbox
from apel.parse import parse_message
from apel.transport import TransportError
from tests.apel.helpers import NOW, many_jobs


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class FakeTransport:
    """Records what would go on the wire; `down` simulates a refused connection."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.down = False
        self.closed = 0

    def send(self, message_id: str, body: str) -> None:
        if self.down:
            raise TransportError("Connection refused")
        self.sent.append((message_id, body))

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def outbox(tmp_path: Path) -> SqliteOutbox:
    box = SqliteOutbox(tmp_path / "outbox.sqlite3")
    box.add(parse_message(many_jobs(2500), NOW).records)
    return box


def seal(body: str) -> str:
    return "SIGNED\n" + body


def test_it_sends_every_record_in_batches_of_at_most_1000(outbox: SqliteOutbox) -> None:
    transport = FakeTransport()
    report = Forwarder(outbox, transport, seal, clock=Clock()).run_once()
    assert (report.sent_batches, report.sent_records) == (3, 2500)
    bodies = [body.removeprefix("SIGNED\n") for _, body in transport.sent]
    assert [len(parse_message(b, NOW).records) for b in bodies] == [1000, 1000, 500]
    assert outbox.pending_records() == 0
    assert outbox.claim_next_batch(NOW + timedelta(days=1)) is None


def test_a_refused_connection_keeps_everything_for_a_later_retry(outbox: SqliteOutbox) -> None:
    transport, clock = FakeTransport(), Clock()
    forwarder = Forwarder(outbox, transport, seal, Backoff(timedelta(minutes=1)), clock)
    transport.down = True
    report = forwarder.run_once()
    (batch_id, reason) = report.failures[0]
    assert reason == "Connection refused" and report.sent_records == 0
    assert outbox.pending_records() == 2500
    state = outbox.batch_state(batch_id)
    assert state["attempts"] == 1 and state["last_error"] == "Connection refused"

    transport.down = False
    clock.now += timedelta(seconds=30)  # before retry_at: the failed batch waits
    forwarder.run_once(max_batches=1)
    assert batch_id not in [message_id for message_id, _ in transport.sent]

    clock.now += timedelta(minutes=1)
    forwarder.run_once()
    assert batch_id in [message_id for message_id, _ in transport.sent]
    assert outbox.pending_records() == 0


def test_backoff_doubles_and_is_capped() -> None:
    backoff = Backoff(timedelta(minutes=1), 2.0, timedelta(minutes=10))
    delays = [backoff.delay(n) for n in range(6)]
    assert [d.total_seconds() / 60 for d in delays] == [1, 2, 4, 8, 10, 10]


def test_a_crash_before_the_receipt_is_recorded_resends_with_the_same_empa_id(
    outbox: SqliteOutbox, tmp_path: Path
) -> None:
    first = outbox.claim_next_batch(NOW)
    assert first is not None
    FakeTransport().send(first.batch_id, first.body)
    outbox.close()  # the process dies here: no mark_sent

    reopened = SqliteOutbox(tmp_path / "outbox.sqlite3")
    # Another worker must not take a batch whose claim is still live.
    other = reopened.claim_next_batch(NOW + timedelta(minutes=1))
    assert other is not None and other.batch_id != first.batch_id
    again = reopened.claim_next_batch(NOW + timedelta(minutes=6))
    assert again is not None
    assert (again.batch_id, again.records) == (first.batch_id, first.records)


def test_two_claimers_never_get_the_same_batch(outbox: SqliteOutbox, tmp_path: Path) -> None:
    second = SqliteOutbox(tmp_path / "outbox.sqlite3")
    claimed = [box.claim_next_batch(NOW) for box in (outbox, second, outbox, second)]
    ids = [batch.batch_id for batch in claimed if batch is not None]
    assert len(ids) == 3 and len(set(ids)) == 3


def test_a_batch_that_cannot_be_sealed_waits_for_its_retry_and_the_others_still_go(
    outbox: SqliteOutbox,
) -> None:
    transport = FakeTransport()
    sealed: list[str] = []

    def seal_all_but_the_first(body: str) -> str:
        sealed.append(body)
        if len(sealed) == 1:
            raise UnicodeEncodeError("ascii", body, 0, 1, "not sealable")
        return "SIGNED\n" + body

    clock = Clock()
    forwarder = Forwarder(outbox, transport, seal_all_but_the_first, clock=clock)

    report = forwarder.run_once()

    assert report.sent_batches == 2  # the two batches behind it
    ((failed_id, reason),) = report.failures
    assert "UnicodeEncodeError" in reason
    clock.now += timedelta(hours=7)  # past the backoff
    assert forwarder.run_once().sent_batches == 1
    assert transport.sent[-1][0] == failed_id
