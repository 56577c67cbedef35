"""Summary and sync records built per site and month from the stored job records."""

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
from vacmon.models import ApelMonth, ApelRecord, ApelSiteSettings
from vacmon.models.apel import KIND_SUMMARY, KIND_SYNC, MODE_BOTH, MODE_SUMMARIES

pytestmark = pytest.mark.django_db
MAN = "UKI-NORTHGRID-MAN-HEP"
OCTOBER = int(datetime(2026, 10, 15, tzinfo=UTC).timestamp())
SEPTEMBER = int(datetime(2026, 9, 30, 23, 0, tzinfo=UTC).timestamp())
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def late_november():
    # Uploads and the summariser read the clock; ticking keeps "changed after" meaningful.
    with time_machine.travel(NOW, tick=True):
        yield


def built(kind: str, site: str = MAN) -> list[dict[str, object]]:
    texts = ApelRecord.objects.filter(site=site, kind=kind).order_by("id")
    return [dict(parse_message(r.header + "\n" + r.text, NOW).records[0].fields) for r in texts]


def october_jobs() -> str:
    atlas = [job(i, OCTOBER + i, WallDuration="3600", CpuDuration="3000") for i in range(3)]
    lhcb = [
        job(10 + i, OCTOBER + 100, FQAN="/lhcb/Role=NULL/Capability=NULL", WallDuration="7200")
        for i in range(2)
    ]
    return message(*atlas, *lhcb, job(20, SEPTEMBER))


def test_a_site_sending_summaries_gets_one_summary_per_month_and_group_plus_sync() -> None:
    ApelSiteSettings.objects.create(site=MAN, mode=MODE_SUMMARIES)
    upload(Client(), october_jobs())
    assert summarise_pending() == 2  # September and October

    summaries = {(s["Month"], s["VO"]): s for s in built(KIND_SUMMARY)}
    assert set(summaries) == {(9, "atlas"), (10, "atlas"), (10, "lhcb")}
    atlas = summaries[(10, "atlas")]
    assert (atlas["NumberOfJobs"], atlas["WallDuration"], atlas["CpuDuration"]) == (3, 10800, 9000)
    assert (atlas["EarliestEndTime"], atlas["LatestEndTime"]) == (OCTOBER, OCTOBER + 2)
    assert summaries[(10, "lhcb")]["WallDuration"] == 14400
    sync = {(s["Month"], s["Year"]): s["NumberOfJobs"] for s in built(KIND_SYNC)}
    assert sync == {(9, 2026): 1, (10, 2026): 5}
    assert ApelRecord.objects.filter(kind__in=(KIND_SUMMARY, KIND_SYNC), forward=True).count() == 5


def test_a_site_sending_individual_records_gets_sync_records_only() -> None:
    upload(Client(), october_jobs())
    summarise_pending()
    assert built(KIND_SUMMARY) == []
    assert len(built(KIND_SYNC)) == 2


def test_late_records_replace_the_unsent_summary_instead_of_adding_one() -> None:
    ApelSiteSettings.objects.create(site=MAN, mode=MODE_BOTH)
    upload(Client(), october_jobs())
    summarise_pending()
    assert summarise_pending() == 0  # nothing changed since

    upload(Client(), message(job(30, OCTOBER + 50)))
    assert summarise_pending() == 1
    atlas = [s for s in built(KIND_SUMMARY) if s["VO"] == "atlas" and s["Month"] == 10]
    assert [s["NumberOfJobs"] for s in atlas] == [4]


def test_a_summary_already_cut_into_a_batch_is_kept_and_a_new_one_follows() -> None:
    ApelSiteSettings.objects.create(site=MAN, mode=MODE_SUMMARIES)
    upload(Client(), message(job(0, OCTOBER)))
    summarise_pending()
    batch = DjangoOutbox().claim_next_batch(NOW)
    assert batch is not None and batch.header == "APEL-summary-job-message: v0.2"

    upload(Client(), message(job(1, OCTOBER + 1)))
    summarise_pending()
    counts = [s["NumberOfJobs"] for s in built(KIND_SUMMARY)]
    assert counts == [1, 2]  # the batched one stays (its empa-id must not change)


def test_a_month_that_has_not_begun_waits_and_a_disabled_site_builds_nothing() -> None:
    ApelSiteSettings.objects.create(site="OFF-SITE", mode=MODE_BOTH, enabled=False)
    december = int(datetime(2026, 12, 1, 6, 0, tzinfo=UTC).timestamp())
    text = message(job(0, OCTOBER, Site="OFF-SITE"))
    upload(Client(), text)
    ApelMonth.objects.create(site=MAN, year=2026, month=12, changed_at=NOW)
    ApelRecord.objects.create(
        kind="job",
        header="h",
        text="",
        site=MAN,
        local_job_id="x",
        end_time=december,
        year=2026,
        month=12,
        received_at=NOW,
        forward=False,
    )
    assert summarise_pending() == 0
    assert not ApelRecord.objects.filter(kind__in=(KIND_SUMMARY, KIND_SYNC)).exists()
    assert ApelMonth.objects.filter(summarised_at=None).count() == 2
