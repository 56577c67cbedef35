"""One job per (site, LocalJobId, EndTime), as APEL's JobRecords key, with the loader's
REPLACE: the later record wins, and what VacMon summarises is what APEL will hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from apel.parse import parse_message
from tests.apel.helpers import message
from tests.vacmon_apel.support import job, upload
from vacmon.apel.outbox import DjangoOutbox
from vacmon.apel.services import summarise_pending
from vacmon.models import ApelRecord, ApelSiteSettings
from vacmon.models.apel import JOB_KINDS, KIND_SUMMARY, KIND_SYNC, MODE_BOTH

pytestmark = pytest.mark.django_db
MAN = "UKI-NORTHGRID-MAN-HEP"
OCTOBER = int(datetime(2026, 10, 15, tzinfo=UTC).timestamp())
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CE_A, CE_B = "ce-a.example.org", "ce-b.example.org"


@pytest.fixture(autouse=True)
def late_november():
    with time_machine.travel(NOW, tick=True):
        yield


def built(kind: str) -> list[dict[str, object]]:
    rows = ApelRecord.objects.filter(site=MAN, kind=kind).order_by("id")
    return [dict(parse_message(r.header + "\n" + r.text, NOW).records[0].fields) for r in rows]


def nine_uploads_of_eight_jobs() -> list[str]:
    """The case that split VacMon from APEL: job 7 arrives from two submit hosts."""
    jobs = [job(i, OCTOBER + i, SubmitHost=CE_A, WallDuration="3600") for i in range(8)]
    again = job(7, OCTOBER + 7, SubmitHost=CE_B, WallDuration="3600")
    return [message(*jobs), message(again)]


def test_two_records_that_differ_only_in_submit_host_are_one_job() -> None:
    first, second = nine_uploads_of_eight_jobs()
    assert upload(Client(), first)[1]["accepted"] == 8
    body = upload(Client(), second)[1]
    # The second replaces the first, as APEL's REPLACE does: counted as stored, not new.
    assert (body["accepted"], body["duplicates"]) == (1, 0)
    assert ApelRecord.objects.filter(kind__in=JOB_KINDS).count() == 8
    assert ApelRecord.objects.get(local_job_id="job-0000007").submit_host == CE_B


def test_summaries_and_sync_records_count_the_jobs_apel_holds() -> None:
    ApelSiteSettings.objects.create(site=MAN, mode=MODE_BOTH)
    for text in nine_uploads_of_eight_jobs():
        upload(Client(), text)
    summarise_pending()
    summaries = built(KIND_SUMMARY)
    assert sum(int(str(s["NumberOfJobs"])) for s in summaries) == 8
    assert sum(int(str(s["WallDuration"])) for s in summaries) == 28800
    # APEL keys sync records by (site, submit host, month, year); the replaced job moved.
    sync = {s.get("SubmitHost"): s["NumberOfJobs"] for s in built(KIND_SYNC)}
    assert sync == {CE_A: 7, CE_B: 1}


def test_within_one_message_the_last_record_of_a_job_wins() -> None:
    text = message(job(0, OCTOBER, WallDuration="100"), job(0, OCTOBER, WallDuration="200"))
    body = upload(Client(), text)[1]
    assert (body["accepted"], body["duplicates"]) == (1, 1)
    assert ApelRecord.objects.get().wall_seconds == 200


def test_a_changed_record_of_a_sent_job_is_sent_again_and_an_identical_one_is_not() -> None:
    upload(Client(), message(job(0, OCTOBER), job(1, OCTOBER)))
    outbox = DjangoOutbox()
    batch = outbox.claim_next_batch(NOW)
    assert batch is not None
    outbox.mark_sent(batch.batch_id, len(batch.records))

    same = upload(Client(), message(job(0, OCTOBER)))[1]
    assert (same["accepted"], same["duplicates"]) == (0, 1)
    assert outbox.claim_next_batch(NOW) is None

    changed = upload(Client(), message(job(0, OCTOBER, CpuDuration="1")))[1]
    assert (changed["accepted"], changed["duplicates"]) == (1, 0)
    again = outbox.claim_next_batch(NOW)
    assert again is not None and again.batch_id != batch.batch_id
    (text,) = again.records
    assert "LocalJobId: job-0000000\n" in text and "CpuDuration: 1\n" in text


def test_a_changed_record_leaves_an_unsent_batch_for_a_later_one() -> None:
    upload(Client(), message(job(0, OCTOBER), job(1, OCTOBER)))
    outbox = DjangoOutbox()
    first = outbox.claim_next_batch(NOW)
    assert first is not None and len(first.records) == 2
    # The batch is in flight with the old text: the new text must not hide behind it.
    upload(Client(), message(job(1, OCTOBER, CpuDuration="1")))
    outbox.mark_sent(first.batch_id, len(first.records))
    later = outbox.claim_next_batch(NOW)
    assert later is not None and len(later.records) == 1
    assert "CpuDuration: 1\n" in later.records[0]
