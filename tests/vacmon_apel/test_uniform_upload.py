"""A uniform job message is stored straight from its columns, with exactly the rows its
records would give, and steps aside whenever a record would be refused or collapsed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from apel.parse import parse_message, read_message
from apel.uniform import UniformJobs
from tests.apel.helpers import message
from tests.vacmon_apel.support import job, upload
from vacmon.apel import jobs
from vacmon.models import ApelRecord, ApelSiteSettings, Site
from vacmon.models.apel import KIND_JOB, MODE_SUMMARIES
from vacmon.trust.principals import IngestIdentity
from vacmon.trust.tokens import issue_token

pytestmark = pytest.mark.django_db
MAN = "UKI-NORTHGRID-MAN-HEP"
NOW = datetime(2026, 1, 2, 12, tzinfo=UTC)
NEW_YEAR = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())


def varied_message(**changes: str | None) -> str:
    """Jobs across a year's end, of two sites (one summarising centrally) and with every
    benchmark unit, so that each column of a row takes more than one value."""
    ApelSiteSettings.objects.create(site="UKI-SOUTHGRID-OX-HEP", mode=MODE_SUMMARIES)
    units = [("HEPSPEC", "10.0"), ("si2k", "2500.0"), ("HEPscore23", "7.25"), ("HEPSPEC", "0.0")]
    jobs = []
    for i in range(40):
        unit, level = units[i % len(units)]
        site = MAN if i % 3 else "UKI-SOUTHGRID-OX-HEP"
        end = NEW_YEAR + (i - 20) * 3593  # 20 jobs end in 2025, 20 in 2026
        jobs.append(
            job(
                i,
                end,
                Site=site,
                ServiceLevelType=unit,
                ServiceLevel=level,
                WallDuration=str(i),
                **changes,
            )
        )
    return message(*jobs)


@pytest.mark.parametrize("submit_host", ["vac01.example.org/vm1", None])
def test_a_uniform_messages_rows_are_the_rows_of_its_records(submit_host: str | None) -> None:
    uniform = read_message(varied_message(SubmitHost=submit_host), NOW)
    assert isinstance(uniform, UniformJobs)
    identity = IngestIdentity("token", "apel (vmk_abc…)", frozenset({MAN}))
    by_column = jobs.uniform_rows(uniform, KIND_JOB, NOW, identity)
    by_record = jobs.record_rows(uniform.records(), KIND_JOB, NOW, identity)
    assert by_column == by_record
    assert {row[7] for row in by_column} == {2025, 2026}
    assert {row[15] for row in by_column} == {True, False}
    assert len({row[12] for row in by_column}) > 4


def test_a_uniform_messages_columns_build_the_records_the_parser_gives() -> None:
    text = varied_message()
    uniform = read_message(text, NOW)
    assert isinstance(uniform, UniformJobs) and len(uniform) == 40
    assert uniform.records() == parse_message(text, NOW).records


def test_a_plain_factory_upload_is_stored_from_its_columns(monkeypatch) -> None:
    built: list[int] = []
    original = jobs.uniform_rows
    monkeypatch.setattr(
        jobs,
        "uniform_rows",
        lambda uniform, *args: built.append(len(uniform)) or original(uniform, *args),
    )
    _, token = issue_token(Site.objects.create(name=MAN), "apel")
    status, body = upload(Client(), message(*(job(i) for i in range(30))), token)
    assert (status, body["accepted"], body["rejected"]) == (202, 30, 0)
    assert built == [30]
    assert ApelRecord.objects.filter(site=MAN, forward=True).count() == 30


@pytest.mark.parametrize(
    "records, accepted, duplicates, rejected",
    [
        # another site's record, which this token may not send
        pytest.param([job(0), job(1, Site="OTHER-SITE"), job(2)], 2, 0, 1, id="other site"),
        # the same job twice: the last one wins, as with the loader's REPLACE
        pytest.param([job(0), job(1), job(0, WallDuration="7")], 2, 1, 0, id="same job"),
    ],
)
def test_a_uniform_message_a_record_of_which_is_refused_or_collapsed_goes_record_by_record(
    records: list[dict[str, str]], accepted: int, duplicates: int, rejected: int
) -> None:
    _, token = issue_token(Site.objects.create(name=MAN), "apel")
    text = message(*records)
    assert isinstance(read_message(text, timezone.now()), UniformJobs)
    status, body = upload(Client(), text, token)
    assert status == 202
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (
        accepted,
        duplicates,
        rejected,
    )
    if duplicates:
        assert ApelRecord.objects.get(local_job_id="job-0000000").wall_seconds == 7


def test_on_postgresql_new_jobs_are_copied_straight_in_and_a_resend_goes_through_the_upsert() -> (
    None
):
    if connection.vendor != "postgresql":
        pytest.skip("the straight COPY is PostgreSQL's")

    def staged() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('pg_temp.apel_upload') IS NOT NULL")
            return bool(cursor.fetchone()[0])

    _, token = issue_token(Site.objects.create(name=MAN), "apel")
    first = upload(Client(), message(*(job(i) for i in range(5))), token)[1]
    assert (first["accepted"], first["duplicates"], staged()) == (5, 0, False)
    # Four held (one of them corrected) and one new: the COPY fails on the job key and the
    # upsert through the staging table decides, row by row.
    again = message(*(job(i, WallDuration="9" if i == 2 else "86355") for i in range(1, 6)))
    second = upload(Client(), again, token)[1]
    assert (second["accepted"], second["duplicates"], staged()) == (2, 3, True)
    assert ApelRecord.objects.count() == 6
    assert ApelRecord.objects.get(local_job_id="job-0000002").wall_seconds == 9


def test_on_postgresql_the_binary_copy_stores_every_value_as_built() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the binary COPY is PostgreSQL's")
    uniform = read_message(varied_message(SubmitHost="vac01.example.org/vm1"), NOW)
    assert isinstance(uniform, UniformJobs)
    identity = IngestIdentity("token", "apel (vmk_abc…)", frozenset({MAN}))
    rows = jobs.uniform_rows(uniform, KIND_JOB, NOW, identity)
    assert jobs.store(rows, NOW) == len(rows)
    stored = list(ApelRecord.objects.order_by("id").values_list(*jobs.COLUMNS))
    assert stored == rows
