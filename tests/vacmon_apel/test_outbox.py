"""The Django outbox: batches cut once, claimed by conditional UPDATE, retried by backoff."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client

from apel.fields import SYNC
from apel.forwarder import Backoff, Forwarder
from apel.parse import parse_message
from apel.transport import TransportError
from tests.vacmon_apel.support import jobs_message, upload
from vacmon.apel import outbox
from vacmon.apel.outbox import DjangoOutbox
from vacmon.apel.selectors import outbox_depth
from vacmon.apel.services import summarise_pending
from vacmon.models import ApelBatch, ApelRecord

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class FakeTransport:
    """What would go on the wire; `down` refuses like a dead broker."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.down = False

    def send(self, message_id: str, body: str) -> None:
        if self.down:
            raise TransportError("Connection refused")
        self.sent.append((message_id, body))

    def close(self) -> None:
        """Nothing to release."""


def fill(count: int) -> None:
    for start in range(0, count, 1000):
        status, body = upload(Client(), jobs_message(min(1000, count - start), start))
        assert status == 202 and body["accepted"] == min(1000, count - start)


@pytest.mark.django_db
def test_it_cuts_batches_of_at_most_1000_records_oldest_first() -> None:
    fill(2500)
    box = DjangoOutbox()
    batches = [box.claim_next_batch(T0) for _ in range(4)]
    assert [len(b.records) for b in batches if b] == [1000, 1000, 500]
    assert batches[3] is None
    # The records ended an hour before the real now, which may be after T0: parse them as of now.
    now = datetime.now(UTC)
    ids = [r.fields["LocalJobId"] for b in batches if b for r in parse_message(b.body, now).records]
    assert ids == [f"job-{i:07d}" for i in range(2500)]


@pytest.mark.django_db
def test_a_claimed_batch_waits_for_its_claim_to_run_out_then_goes_with_the_same_id() -> None:
    fill(1500)
    first = DjangoOutbox().claim_next_batch(T0)
    assert first is not None
    # The worker died before mark_sent. Another one must not take the live claim ...
    other = DjangoOutbox().claim_next_batch(T0 + timedelta(minutes=1))
    assert other is not None and other.batch_id != first.batch_id
    # ... but once the five-minute lease has run out the same message goes again.
    again = DjangoOutbox().claim_next_batch(T0 + timedelta(minutes=6))
    assert again is not None
    assert (again.batch_id, again.header, again.records) == (
        first.batch_id,
        first.header,
        first.records,
    )


@pytest.mark.django_db
def test_a_refused_send_keeps_the_batch_for_a_retry_with_backoff() -> None:
    fill(10)
    transport, clock = FakeTransport(), Clock()
    forwarder = Forwarder(DjangoOutbox(), transport, lambda b: b, Backoff(), clock)
    transport.down = True
    report = forwarder.run_once()
    ((batch_id, reason),) = report.failures
    assert reason == "Connection refused"
    batch = ApelBatch.objects.get(id=batch_id)
    assert (batch.attempts, batch.last_error, batch.sent_at) == (1, "Connection refused", None)
    assert batch.retry_at == T0 + timedelta(minutes=1)
    assert outbox_depth().records == 10

    transport.down = False
    clock.now = T0 + timedelta(seconds=30)
    assert forwarder.run_once().sent_batches == 0  # not due yet
    transport.down = True
    clock.now = T0 + timedelta(minutes=2)
    forwarder.run_once()
    assert ApelBatch.objects.get(id=batch_id).retry_at == clock.now + timedelta(minutes=2)

    transport.down = False
    clock.now = T0 + timedelta(minutes=5)
    assert forwarder.run_once().sent_records == 10
    assert [message_id for message_id, _ in transport.sent] == [batch_id]
    assert outbox_depth().records == 0 and ApelBatch.objects.get(id=batch_id).sent_at


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cut_ahead", [1, 4])
def test_four_workers_at_once_never_claim_the_same_batch(cut_ahead: int) -> None:
    fill(3000)
    connection.close()  # each thread opens its own connection to the same database
    claimed: list[tuple[str, int]] = []
    lock = threading.Lock()

    def worker() -> None:
        box = DjangoOutbox(max_records=100, cut_ahead=cut_ahead)
        try:
            while (batch := box.claim_next_batch(T0)) is not None:
                with lock:
                    claimed.append((batch.batch_id, len(batch.records)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ids = [batch_id for batch_id, _ in claimed]
    assert len(ids) == len(set(ids)) == 30
    assert sum(count for _, count in claimed) == 3000
    assert not ApelRecord.objects.waiting().exists()


@pytest.mark.django_db
def test_a_pass_cuts_its_window_of_batches_under_one_hold_of_the_queue_lock(monkeypatch) -> None:
    fill(2500)
    holds: list[int] = []
    monkeypatch.setattr(outbox, "queue_lock", lambda: holds.append(1))
    box = DjangoOutbox(cut_ahead=3)
    first = box.claim_next_batch(T0)
    assert (len(holds), ApelBatch.objects.count()) == (1, 3)
    rest = [box.claim_next_batch(T0), box.claim_next_batch(T0)]
    assert (len(holds), ApelBatch.objects.count()) == (1, 3)
    batches = [first, *rest]
    assert [len(b.records) for b in batches if b] == [1000, 1000, 500]
    assert len({b.batch_id for b in batches if b}) == 3
    assert box.claim_next_batch(T0) is None and len(holds) == 2


@pytest.mark.django_db
def test_batches_cut_ahead_and_never_handed_out_are_released_for_the_next_pass() -> None:
    fill(2500)
    box = DjangoOutbox(cut_ahead=3)
    first = box.claim_next_batch(T0)
    assert first is not None
    box.release()
    # The batch handed out keeps its claim; the two others are due again at once.
    again = DjangoOutbox()
    second, third = again.claim_next_batch(T0), again.claim_next_batch(T0)
    assert second is not None and third is not None
    assert first.batch_id not in {second.batch_id, third.batch_id}
    assert [len(second.records), len(third.records)] == [1000, 500]
    assert again.claim_next_batch(T0) is None
    assert ApelBatch.objects.count() == 3


@pytest.mark.django_db
def test_a_pass_that_stops_early_leaves_no_batch_cut_ahead_claimed() -> None:
    fill(2500)
    transport, clock = FakeTransport(), Clock()
    box = DjangoOutbox(cut_ahead=8)
    report = Forwarder(box, transport, lambda b: b, Backoff(), clock).run_once(max_batches=1)
    box.release()
    assert report.sent_records == 1000
    assert not ApelBatch.objects.filter(sent_at=None).exclude(claimed_until=None).exists()


@pytest.mark.django_db
def test_a_window_goes_oldest_first_across_headers_and_keeps_each_batch_in_its_bytes() -> None:
    fill(1500)
    summarise_pending(datetime.now(UTC))  # the month's sync record queues after those jobs
    status, body = upload(Client(), jobs_message(500, 1500))
    assert status == 202 and body["accepted"] == 500
    text = ApelRecord.objects.filter(kind="job").values_list("text", flat=True).first()
    limit = 300 * (len(text) + 3)  # room for 299 or 300 records a batch, body and all
    box = DjangoOutbox(cut_ahead=8, max_bytes=limit)
    batches = []
    while (batch := box.claim_next_batch(T0)) is not None:
        batches.append(batch)
    assert all(len(batch.body) <= limit for batch in batches)
    firsts = dict(ApelBatch.objects.values_list("id", "first_record"))
    cut = [(batch.header, firsts[batch.batch_id]) for batch in batches]
    assert [first for _, first in cut] == sorted(first for _, first in cut)  # oldest first
    assert [header for header, _ in cut].count(SYNC.header) == 1
    jobs = [b for b in batches if b.header != SYNC.header]
    assert len(jobs) == 7  # 299 records a batch: the header takes the room of the 300th
    now = datetime.now(UTC)
    ids = [r.fields["LocalJobId"] for b in jobs for r in parse_message(b.body, now).records]
    assert ids == [f"job-{i:07d}" for i in range(2000)]
