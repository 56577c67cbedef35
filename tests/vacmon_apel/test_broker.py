"""Upload -> Django outbox -> signed STOMP -> the machine's real RabbitMQ, read back.

Each test consumes what the broker received, verifies every signature with
`openssl smime -verify` against the test CA, parses the records again and compares them
with what the upload endpoint accepted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from apel.parse import parse_message
from apel.records import Record
from apel.smime import decrypt, inner_text, load_certificate, load_key, verify_with_openssl
from apel.transport import PipelinedTransport, Transport
from tests.apel.broker_support import Received, consume
from tests.apel.helpers import Pki
from tests.vacmon_apel.proxy import BrokerProxy
from tests.vacmon_apel.support import opened, upload_jobs, write_config
from vacmon.apel import forwarding
from vacmon.apel.services import summarise_pending
from vacmon.models import ApelBatch, ApelForwarderState, ApelSiteSettings
from vacmon.models.apel import CUT_ORDER, MODE_BOTH

pytestmark = [pytest.mark.broker, pytest.mark.django_db]
RABBITMQ = 61613


def later(delta: timedelta) -> Callable[[], datetime]:
    return lambda: datetime.now(UTC) + delta


def test_uploaded_records_reach_rabbitmq_signed_and_parse_back_the_same(
    settings, tmp_path: Path, pki: Pki, rabbitmq_queue: str
) -> None:
    accepted = upload_jobs(2500)
    settings.VACMON_APEL_CONFIG = str(write_config(tmp_path, pki, rabbitmq_queue))
    result = forwarding.forward_once()
    assert result.report is not None
    assert (result.report.sent_batches, result.report.sent_records) == (3, 2500)

    received = consume("127.0.0.1", RABBITMQ, rabbitmq_queue, expected=3)
    assert [r for m in received for r in opened(m, pki)] == accepted
    batch_ids = set(ApelBatch.objects.values_list("id", flat=True))
    assert [m.empa_id for m in received] == list(
        ApelBatch.objects.order_by(*CUT_ORDER).values_list("id", flat=True)
    )
    assert {m.empa_id for m in received} == batch_ids
    assert not ApelBatch.objects.filter(sent_at=None).exists()


def test_encrypted_summaries_sync_and_jobs_of_a_site_sending_both(
    settings, tmp_path: Path, pki: Pki, rabbitmq_queue: str
) -> None:
    ApelSiteSettings.objects.create(site="UKI-NORTHGRID-MAN-HEP", mode=MODE_BOTH)
    accepted = upload_jobs(20)
    assert summarise_pending() >= 1
    path = write_config(tmp_path, pki, rabbitmq_queue, encrypt=True)
    settings.VACMON_APEL_CONFIG = str(path)
    report = forwarding.forward_once().report
    assert report is not None and report.failures == []

    received = consume("127.0.0.1", RABBITMQ, rabbitmq_queue, expected=report.sent_batches)
    server_cert = load_certificate(pki.server_cert_file)
    server_key = load_key(pki.server_key_file)
    kinds: dict[str, list[Record]] = {}
    for message in received:
        assert "application/pkcs7-mime" in message.body  # opaque to the broker
        signed = decrypt(message.body, server_cert, server_key)  # type: ignore[arg-type]
        body = inner_text(verify_with_openssl(signed, pki.ca_file))
        kinds[body.split("\n", 1)[0]] = parse_message(body, datetime.now(UTC)).records
    assert kinds["APEL-individual-job-message: v0.3"] == accepted
    (summary,) = kinds["APEL-summary-job-message: v0.2"]
    (sync,) = kinds["APEL-sync-message: v0.1"]
    assert summary.fields["NumberOfJobs"] == sync.fields["NumberOfJobs"] == 20


def test_the_broker_vanishing_mid_stream_loses_nothing(
    settings, tmp_path: Path, pki: Pki, rabbitmq_queue: str
) -> None:
    accepted = upload_jobs(3500)
    proxy = BrokerProxy(RABBITMQ, cut_after_send=2)
    # The proxy first; once it is gone the next configured broker is the real one.
    path = write_config(tmp_path, pki, rabbitmq_queue, proxy.port, RABBITMQ)
    settings.VACMON_APEL_CONFIG = str(path)
    first = forwarding.forward_once().report
    assert first is not None and proxy.cut_done.is_set()
    # Sends are pipelined: the first batch's receipt may have come back before the proxy
    # held everything, or not; the second batch (the cut one) and the two after it
    # cannot have been acknowledged.
    cut_id = ApelBatch.objects.order_by(*CUT_ORDER).values_list("id", flat=True)[1]
    unreceipted = {batch_id for batch_id, _ in first.failures}
    assert first.sent_batches in (0, 1) and first.sent_batches + len(unreceipted) == 4
    assert cut_id in unreceipted
    assert all("receipt" in r.lower() or "lost" in r.lower() for _, r in first.failures)
    assert set(ApelBatch.objects.filter(sent_at=None).values_list("id", flat=True)) == unreceipted

    # The retry, an hour on: the proxy's port is closed now, so RabbitMQ takes it.
    second = forwarding.forward_once(clock=later(timedelta(hours=1))).report
    assert second is not None and second.failures == []
    assert second.sent_batches == len(unreceipted)

    received = consume("127.0.0.1", RABBITMQ, rabbitmq_queue, expected=4 + first.sent_batches)
    assert_exactly_once(received, pki, accepted, may_repeat=unreceipted)


def test_a_worker_killed_between_receipt_and_bookkeeping_resends_with_the_same_empa_id(
    settings, tmp_path: Path, pki: Pki, rabbitmq_queue: str
) -> None:
    accepted = upload_jobs(3000)
    settings.VACMON_APEL_CONFIG = str(write_config(tmp_path, pki, rabbitmq_queue))
    killed = DiesAfterReceipt(on_send=2)
    with pytest.raises(SystemExit):
        forwarding.forward_once(wrap_transport=killed.wrap)
    assert killed.died_after is not None
    assert ApelBatch.objects.get(id=killed.died_after).sent_at is None

    # The restarted worker finds the dead one's claim expired after the five-minute lease.
    report = forwarding.forward_once(clock=later(timedelta(minutes=6))).report
    assert report is not None and report.sent_batches == 2

    received = consume("127.0.0.1", RABBITMQ, rabbitmq_queue, expected=4)
    counts = Counter(m.empa_id for m in received)
    assert counts[killed.died_after] == 2  # the receipt came, so the broker has it twice
    assert_exactly_once(received, pki, accepted, may_repeat={killed.died_after})


def test_a_pass_killed_between_its_sends_and_their_receipts_resends_under_the_same_empa_ids(
    settings, tmp_path: Path, pki: Pki, rabbitmq_queue: str
) -> None:
    accepted = upload_jobs(3000)
    settings.VACMON_APEL_CONFIG = str(write_config(tmp_path, pki, rabbitmq_queue))
    window: list[str] = []

    def dies_before_the_receipts(inner: Transport) -> Transport:
        assert isinstance(inner, PipelinedTransport)

        class Dying:
            def send(self, message_id: str, body: str) -> None:
                raise AssertionError("a pipelined pass sends with send_all")

            def send_all(self, messages: Sequence[tuple[str, str]]) -> Iterator[str | None]:
                window.extend(message_id for message_id, _ in messages)
                outcomes = inner.send_all(messages)
                next(outcomes)  # every SEND is out; the process dies before any bookkeeping
                raise SystemExit("killed before mark_sent")
                yield None

            def close(self) -> None:
                inner.close()

        return Dying()

    with pytest.raises(SystemExit):
        forwarding.forward_once(wrap_transport=dies_before_the_receipts)
    assert len(window) == 3
    assert ApelBatch.objects.filter(sent_at=None).count() == 3

    # The restarted worker finds the dead one's claims expired after the five-minute lease.
    report = forwarding.forward_once(clock=later(timedelta(minutes=6))).report
    assert report is not None and (report.sent_batches, report.failures) == (3, [])
    assert list(ApelBatch.objects.order_by(*CUT_ORDER).values_list("id", flat=True)) == window

    received = consume("127.0.0.1", RABBITMQ, rabbitmq_queue, expected=6)
    assert Counter(m.empa_id for m in received) == {empa_id: 2 for empa_id in window}
    assert_exactly_once(received, pki, accepted, may_repeat=set(window))
    assert ApelForwarderState.objects.get(name="default").sent_records_total == 3000


class DiesAfterReceipt:
    """Wraps the real sender; the process dies once the broker acknowledged batch n."""

    def __init__(self, on_send: int) -> None:
        self.on_send = on_send
        self.sent = 0
        self.died_after: str | None = None

    def wrap(self, inner: Transport) -> Transport:
        outer = self

        class Dying:
            def send(self, message_id: str, body: str) -> None:
                inner.send(message_id, body)  # returns only after the RECEIPT
                outer.sent += 1
                if outer.sent == outer.on_send:
                    outer.died_after = message_id
                    raise SystemExit("killed before mark_sent")

            def close(self) -> None:
                inner.close()

        return Dying()


def assert_exactly_once(
    received: list[Received], pki: Pki, accepted: list[Record], may_repeat: set[str]
) -> None:
    """Every batch arrived; only those of `may_repeat` more than once (at most twice),
    always identical; and the records, one copy per empa-id, are exactly those accepted."""
    counts = Counter(m.empa_id for m in received)
    assert set(counts) == set(ApelBatch.objects.values_list("id", flat=True))
    assert all(n == 1 for empa_id, n in counts.items() if empa_id not in may_repeat)
    assert all(counts[empa_id] <= 2 for empa_id in may_repeat)
    by_id: dict[str, list[Record]] = {}
    for message in received:
        records = opened(message, pki)
        assert by_id.setdefault(message.empa_id, records) == records
    order = ApelBatch.objects.order_by(*CUT_ORDER).values_list("id", flat=True)
    assert [r for empa_id in order for r in by_id[empa_id]] == accepted
    assert not ApelBatch.objects.filter(sent_at=None).exists()
