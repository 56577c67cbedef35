"""The Django outbox through ActiveMQ, the broker the EGI accounting network ran."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apel.broker_support import consume
from tests.apel.helpers import Pki
from tests.vacmon_apel.support import opened, upload_jobs, write_config
from vacmon.apel import forwarding
from vacmon.models import ApelBatch
from vacmon.models.apel import CUT_ORDER

pytestmark = [pytest.mark.broker, pytest.mark.django_db]
QUEUE = "global.accounting.cputest.CENTRAL"


def test_activemq_receives_the_uploaded_records_signed_under_their_batch_ids(
    settings, tmp_path: Path, pki: Pki, activemq_port: int
) -> None:
    accepted = upload_jobs(1200)
    path = write_config(tmp_path, pki, QUEUE, activemq_port)
    # ssmsend sends no login, and ActiveMQ wants none.
    path.write_text(path.read_text().replace("username: guest\npassword: guest\n", ""))
    settings.VACMON_APEL_CONFIG = str(path)
    report = forwarding.forward_once().report
    assert report is not None and (report.sent_batches, report.failures) == (2, [])

    received = consume("127.0.0.1", activemq_port, QUEUE, expected=2)
    assert [r for m in received for r in opened(m, pki)] == accepted
    order = list(ApelBatch.objects.order_by(*CUT_ORDER).values_list("id", flat=True))
    assert [m.empa_id for m in received] == order
