"""Summary and sync uploads from sites running their own APEL client: checked with the
loader's rules, forwarded unchanged, never mixed into what VacMon summarises itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client

from apel.builder import assemble
from tests.apel.helpers import message
from tests.vacmon_apel.support import job, upload
from vacmon.apel import relay
from vacmon.apel.outbox import DjangoOutbox
from vacmon.apel.services import summarise_pending
from vacmon.models import ApelRecord, ApelSiteSettings
from vacmon.models.apel import KIND_RELAYED_SUMMARY, KIND_RELAYED_SYNC, MODE_SUMMARIES

pytestmark = pytest.mark.django_db
SITE = "TEST-SITE"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SUMMARY = """APEL-summary-job-message: v0.2
Site: TEST-SITE
Month: 10
Year: 2026
GlobalUserName: /C=XX/O=Example/CN=Some User
VO: atlas
VOGroup: /atlas
VORole: Role=production
SubmitHost: ce01.example.org:8443/cream-slurm-grid
InfrastructureType: grid
ServiceLevelType: HEPSPEC
ServiceLevel: 10.5
NodeCount: 1
Processors: 8
EarliestEndTime: 1790899200
LatestEndTime: 1793487599
WallDuration: 720000
CpuDuration: 650000
NumberOfJobs: 100
%%
"""
SYNC = """APEL-sync-message: v0.1
Site: TEST-SITE
SubmitHost: ce01.example.org:8443/cream-slurm-grid
NumberOfJobs: 100
Month: 10
Year: 2026
%%
"""


@pytest.fixture(autouse=True)
def late_november():
    with time_machine.travel(NOW, tick=True):
        yield


def forwarded_bodies() -> list[str]:
    outbox, bodies = DjangoOutbox(), []
    while (batch := outbox.claim_next_batch(NOW)) is not None:
        bodies.append(assemble(batch.header, batch.records))
        outbox.mark_sent(batch.batch_id, len(batch.records))
    return bodies


def test_a_summary_upload_is_accepted_and_forwarded_unchanged() -> None:
    status, body = upload(Client(), SUMMARY)
    assert (status, body["accepted"], body["rejected"]) == (202, 1, 0)
    assert ApelRecord.objects.get().kind == KIND_RELAYED_SUMMARY
    assert forwarded_bodies() == [SUMMARY]


def test_a_sync_upload_is_accepted_and_forwarded_unchanged() -> None:
    status, body = upload(Client(), SYNC)
    assert (status, body["accepted"]) == (202, 1)
    assert ApelRecord.objects.get().kind == KIND_RELAYED_SYNC
    assert forwarded_bodies() == [SYNC]


def test_an_uploaded_summary_gets_the_loaders_checks() -> None:
    text = SUMMARY.replace("ServiceLevelType: HEPSPEC\nServiceLevel: 10.5\n", "")
    status, body = upload(Client(), text)
    assert status == 400
    # What APEL's loader reports through MariaDB for a summary with neither field.
    assert body["errors"][0]["message"] == "(1048, \"Column 'ServiceLevel' cannot be null\")"
    ends = "EarliestEndTime: 1790899200\nLatestEndTime: 1793487599\n"
    future = SUMMARY.replace("Month: 10\n", "Month: 12\n").replace(ends, "")
    status, body = upload(Client(), future)
    assert body["errors"][0]["message"] == "Month specified in record is in the future."
    assert not ApelRecord.objects.exists()


def test_a_summary_duration_past_bigint_is_refused_in_mariadbs_words_not_a_server_error() -> None:
    # PostgreSQL's bigint refused the whole upload with a server error before; MariaDB
    # 10.11 refuses ReplaceSummary's BIGINT parameter with this text.
    wall = next(line for line in SUMMARY.splitlines() if line.startswith("WallDuration: "))
    status, body = upload(Client(), SUMMARY.replace(wall, f"WallDuration: {2**63}"))
    assert status == 400
    error = "(1264, \"Out of range value for column 'wallDuration' at row 0\")"
    assert body["errors"][0]["message"] == error
    assert not ApelRecord.objects.exists()


def test_a_site_in_central_summary_mode_has_uploaded_summaries_refused_with_a_reason() -> None:
    ApelSiteSettings.objects.create(site=SITE, mode=MODE_SUMMARIES)
    for text in (SUMMARY, SYNC):
        status, body = upload(Client(), text)
        assert status == 400
        (error,) = body["errors"]
        assert error["line"] == 2
        assert error["message"].startswith("Site TEST-SITE is in central-summary mode")
    assert not ApelRecord.objects.exists()


def test_a_sync_upload_for_a_month_vacmon_holds_jobs_of_is_refused() -> None:
    october = int(datetime(2026, 10, 15, tzinfo=UTC).timestamp())
    upload(Client(), message(job(0, october, Site=SITE)))
    status, body = upload(Client(), SYNC)
    assert status == 400
    assert body["errors"][0]["message"] == (
        "VacMon sends the sync records of site TEST-SITE for 2026-10 from the job records it"
        " holds; an uploaded one would replace them"
    )
    assert not ApelRecord.objects.filter(kind=KIND_RELAYED_SYNC).exists()


def test_a_summary_upload_for_a_month_vacmon_forwards_jobs_of_is_refused() -> None:
    october = int(datetime(2026, 10, 15, tzinfo=UTC).timestamp())
    upload(Client(), message(job(0, october, Site=SITE)))
    status, body = upload(Client(), SUMMARY)
    assert status == 400
    assert body["errors"][0]["message"] == (
        "VacMon forwards the job records of site TEST-SITE for 2026-10; an uploaded summary"
        " would count those jobs a second time"
    )


def test_relayed_summaries_are_left_alone_by_the_summariser() -> None:
    upload(Client(), SUMMARY)
    september = int(datetime(2026, 9, 15, tzinfo=UTC).timestamp())
    upload(Client(), message(job(0, september, Site=SITE)))
    summarise_pending()
    assert ApelRecord.objects.filter(kind=KIND_RELAYED_SUMMARY).count() == 1


def test_a_summary_uploaded_twice_is_stored_and_forwarded_once() -> None:
    upload(Client(), SUMMARY)
    status, body = upload(Client(), SUMMARY)
    assert (status, body["accepted"], body["duplicates"], body["rejected"]) == (202, 0, 1, 0)
    assert ApelRecord.objects.count() == 1
    assert forwarded_bodies() == [SUMMARY]


def test_a_sync_record_repeated_within_one_upload_is_stored_once() -> None:
    twice = SYNC + SYNC.partition("\n")[2]
    status, body = upload(Client(), twice)
    assert (status, body["accepted"], body["duplicates"]) == (202, 1, 1)
    assert forwarded_bodies() == [SYNC]


def test_a_changed_summary_for_the_same_month_is_still_relayed() -> None:
    upload(Client(), SUMMARY)
    status, body = upload(Client(), SUMMARY.replace("NumberOfJobs: 100", "NumberOfJobs: 101"))
    assert (status, body["accepted"], body["duplicates"]) == (202, 1, 0)
    assert ApelRecord.objects.count() == 2


def test_job_records_for_a_month_whose_summary_the_site_relays_are_refused_with_a_reason() -> None:
    upload(Client(), SUMMARY)
    october = int(datetime(2026, 10, 15, tzinfo=UTC).timestamp())
    november = int(datetime(2026, 11, 2, tzinfo=UTC).timestamp())
    status, body = upload(
        Client(), message(job(0, october, Site=SITE), job(1, november, Site=SITE))
    )
    # The November job goes; the October one would be counted again by the relayed summary.
    assert (status, body["accepted"], body["rejected"]) == (202, 1, 1)
    (error,) = body["errors"]
    assert (error["index"], error["line"]) == (0, 2)
    assert error["message"] == (
        "Site TEST-SITE sends its own summaries for 2026-10; a job record for that month"
        " would count its job a second time"
    )
    assert ApelRecord.objects.get(local_job_id__isnull=False).month == 11


def test_job_records_for_a_month_with_a_relayed_sync_record_are_refused() -> None:
    upload(Client(), SYNC)
    october = int(datetime(2026, 10, 15, tzinfo=UTC).timestamp())
    status, body = upload(Client(), message(job(0, october, Site=SITE)))
    assert (status, body["accepted"], body["rejected"]) == (400, 0, 1)
    assert not ApelRecord.objects.filter(local_job_id__isnull=False).exists()


def test_another_sites_relayed_summary_leaves_this_sites_jobs_alone() -> None:
    upload(Client(), SUMMARY.replace("Site: TEST-SITE", "Site: OTHER-SITE"))
    october = int(datetime(2026, 10, 15, tzinfo=UTC).timestamp())
    status, body = upload(Client(), message(job(0, october, Site=SITE)))
    assert (status, body["accepted"], body["rejected"]) == (202, 1, 0)


def test_the_months_a_site_relays_are_found_among_its_job_records_by_kind_and_site() -> None:
    assert upload(Client(), SUMMARY)[0] == 202
    rows = [
        ApelRecord(
            kind=kind,
            header="h",
            text="",
            site=site,
            local_job_id=f"{site}-{i}",
            end_time=i,
            year=2026,
            month=month,
            received_at=NOW,
            forward=False,
        )
        for i, (kind, site, month) in enumerate(
            [("job", SITE, 9), ("job", "OTHER", 8), (KIND_RELAYED_SYNC, "OTHER", 7)]
        )
    ]
    ApelRecord.objects.bulk_create(rows)

    assert relay.months_relayed({SITE}) == {(SITE, 2026, 10)}
    assert relay.months_relayed({SITE, "OTHER"}) == {(SITE, 2026, 10), ("OTHER", 2026, 7)}
    assert relay.months_relayed(set()) == set()


def test_on_sqlite_the_months_relayed_lookup_reads_the_relayed_rows_index_alone() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the index hint is SQLite's; PostgreSQL plans by its statistics")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + relay._relayed_sql("sqlite", 2), ["A", "B"])
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "apel_relayed_month" in plan


@pytest.mark.parametrize(
    ("year", "month"), [("100000", "10"), ("2026", "13"), ("-5", "10"), ("2026", "0")]
)
def test_a_sync_record_of_no_calendar_month_is_refused_with_the_summaries_words(
    year: str, month: str
) -> None:
    # It used to break the upload with a server error: VacMon keeps relayed records by month.
    sync = {"Site": SITE, "SubmitHost": "ce.example.org", "NumberOfJobs": "1"}
    text = message({**sync, "Month": month, "Year": year}, header="APEL-sync-message: v0.1")
    status, body = upload(Client(), text)
    assert status == 400
    assert body["errors"][0]["message"] == "Invalid values for month and/or year."
    assert not ApelRecord.objects.exists()


def test_a_sync_record_with_a_negative_job_count_is_refused_with_a_reason() -> None:
    sync = {"Site": SITE, "SubmitHost": "ce.example.org", "NumberOfJobs": "-1"}
    text = message({**sync, "Month": "10", "Year": "2026"}, header="APEL-sync-message: v0.1")
    status, body = upload(Client(), text)
    assert status == 400 and "NumberOfJobs is negative" in body["errors"][0]["message"]
    assert not ApelRecord.objects.exists()
