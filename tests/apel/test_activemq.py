"""One round trip through ActiveMQ, the broker the EGI network ran, over STOMP."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from apel.config import BrokerAddress, StompSettings
from apel.forwarder import Forwarder
from apel.outbox import SqliteOutbox
from apel.parse import parse_message
from apel.smime import Signer, inner_text, verify_with_openssl
from apel.stomp_sender import StompSender
from tests.apel.broker_support import consume
from tests.apel.helpers import NOW, Pki, many_jobs

pytestmark = pytest.mark.broker
QUEUE = "global.accounting.cputest.CENTRAL"


def test_activemq_receives_signed_batches_with_their_empa_ids(
    activemq_port: int, tmp_path: Path, pki: Pki
) -> None:
    box = SqliteOutbox(tmp_path / "outbox.sqlite3")
    accepted = parse_message(many_jobs(1200), NOW).records
    box.add(accepted)
    settings = StompSettings(
        (BrokerAddress("127.0.0.1", activemq_port),), f"/queue/{QUEUE}", use_ssl=False
    )
    signer = Signer.from_files(pki.cert_file, pki.key_file, datetime.now(UTC))
    report = Forwarder(box, StompSender(settings, receipt_timeout=10), signer.seal).run_once()
    assert (report.sent_batches, report.failures) == (2, [])

    received = consume("127.0.0.1", activemq_port, QUEUE, expected=2)
    records = []
    for message in received:
        records.extend(
            parse_message(inner_text(verify_with_openssl(message.body, pki.ca_file)), NOW).records
        )
    assert records == accepted
    assert len({m.empa_id for m in received}) == 2
