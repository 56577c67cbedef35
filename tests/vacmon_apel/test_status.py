"""GET /api/v1/apel/status and /accounting/: depth, age, last send, failures, totals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from tests.apel.helpers import message
from tests.vacmon_apel.support import STATUS_URL, job, upload
from vacmon.apel.outbox import DjangoOutbox

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
OCTOBER = int(datetime(2026, 10, 15, tzinfo=UTC).timestamp())
NOVEMBER = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp())


def scenario() -> str:
    """Three October jobs at two benchmarks and one November job; one batch sent, one failed."""
    with time_machine.travel(NOW - timedelta(hours=2), tick=False):
        upload(
            Client(),
            message(
                job(0, OCTOBER, WallDuration="3600", CpuDuration="1800", ServiceLevel="10.0"),
                job(1, OCTOBER, WallDuration="7200", CpuDuration="7000", ServiceLevel="10.0"),
                job(2, OCTOBER, WallDuration="3600", CpuDuration="3600", ServiceLevel="20.0"),
            ),
        )
    box = DjangoOutbox(max_records=2)
    sent = box.claim_next_batch(NOW - timedelta(minutes=90))
    assert sent is not None
    box.mark_sent(sent.batch_id, len(sent.records))
    failed = box.claim_next_batch(NOW - timedelta(minutes=30))
    assert failed is not None
    box.mark_failed(failed.batch_id, "No broker reachable: 127.0.0.1:1: refused", NOW)
    with time_machine.travel(NOW - timedelta(minutes=10), tick=False):
        upload(Client(), message(job(3, NOVEMBER, Site="OTHER-SITE", WallDuration="1800")))
    return failed.batch_id


def test_the_status_api_shows_depth_age_failures_and_monthly_totals() -> None:
    failed_id = scenario()
    with time_machine.travel(NOW, tick=False):
        body = json.loads(Client().get(STATUS_URL).content)
    assert body["outbox"]["records"] == 2  # one in the failed batch, one not yet batched
    assert body["outbox"]["batches"] == 1
    assert body["outbox"]["oldest_unsent_age_seconds"] == 7200
    assert body["last_success_at"] is not None
    (failure,) = body["failures"]
    assert (failure["batch_id"], failure["attempts"]) == (failed_id, 1)
    assert failure["last_error"] == "No broker reachable: 127.0.0.1:1: refused"
    totals = {(row["site"], row["month"]): row for row in body["monthly_totals"]}
    october = totals[("UKI-NORTHGRID-MAN-HEP", "2026-10")]
    assert (october["jobs"], october["wall_seconds"], october["cpu_seconds"]) == (3, 14400, 12400)
    # (1 h + 2 h) x 10 HS06 + 1 h x 20 HS06
    assert october["hs06_hours"] == 50.0
    assert totals[("OTHER-SITE", "2026-11")]["hs06_hours"] == 6.25


def test_the_accounting_page_shows_the_same_figures() -> None:
    failed_id = scenario()
    with time_machine.travel(NOW, tick=False):
        page = Client().get("/accounting/").content.decode()
    assert 'id="outbox-records">2<' in page
    assert failed_id in page and "No broker reachable" in page
    assert "2026-10" in page and "50.0" in page and "OTHER-SITE" in page
    assert "forwarding is off" in page
