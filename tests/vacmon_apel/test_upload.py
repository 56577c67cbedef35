"""POST /api/v1/apel/messages: per-record verdicts, deduplication and site tokens."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db import DatabaseError, connection
from django.test import Client

from factories.accounting import ApelUploader, ApelWriter
from factories.flavour import VAC_03, VCYCLE_03
from factories.model import MachineState, Sender
from tests.apel.helpers import message, record_text
from tests.vacmon_apel.support import job, jobs_message, upload
from vacmon.apel import jobs, services
from vacmon.models import ApelMonth, ApelRecord, ApelSiteSettings, IngestToken, Site
from vacmon.models.apel import MODE_SUMMARIES
from vacmon.trust.tokens import issue_token

pytestmark = pytest.mark.django_db
MAN = "UKI-NORTHGRID-MAN-HEP"


def token_for(site: str) -> str:
    _, plaintext = issue_token(Site.objects.create(name=site), "apel")
    return plaintext


def test_it_keeps_the_good_records_and_reports_each_bad_one_by_index_and_line() -> None:
    text = message(
        job(0),
        job(1, WallDuration="2h"),
        job(2),
        job(3, Site=None),
        job(4),
    )
    status, body = upload(Client(), text)
    assert status == 202
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (3, 0, 2)
    lines_per_record = len(job(0)) + 1  # fields plus "%%"
    assert [(e["index"], e["line"], e["message"]) for e in body["errors"]] == [
        (1, 2 + lines_per_record, "Invalid int value 2h in field WallDuration"),
        (3, 2 + 3 * lines_per_record, "Mandatory field Site not specified."),
    ]
    stored = set(ApelRecord.objects.values_list("local_job_id", flat=True))
    assert stored == {"job-0000000", "job-0000002", "job-0000004"}


def test_a_record_sent_twice_is_stored_once_and_counted_as_a_duplicate() -> None:
    client = Client()
    first = upload(client, jobs_message(5))[1]
    again = upload(client, jobs_message(7))[1]  # five old ones and two new
    within = upload(client, message(job(10), job(10), job(11)))[1]
    assert (first["accepted"], first["duplicates"]) == (5, 0)
    assert (again["accepted"], again["duplicates"]) == (2, 5)
    assert (within["accepted"], within["duplicates"]) == (2, 1)
    assert ApelRecord.objects.count() == 9


def test_the_job_key_includes_the_end_time_but_not_the_submit_host() -> None:
    end = int(time.time()) - 7200
    text = message(job(0, end), job(0, end - 60), job(0, end, SubmitHost="other.example.org"))
    _, body = upload(Client(), text)
    assert (body["accepted"], body["duplicates"]) == (2, 1)


def test_a_message_whose_header_the_loader_does_not_know_is_refused_whole() -> None:
    text = "APEL-individual-jobs-message: v0.3\n" + record_text(job(0)) + "%%\n"
    status, body = upload(Client(), text)
    assert status == 400
    assert body["message_error"] == (
        "Message type APEL-individual-jobs-message: v0.3 not recognised."
    )
    assert ApelRecord.objects.count() == 0


def test_cloud_messages_are_not_uploaded_here() -> None:
    text = "APEL-cloud-message: v0.4\nVMUUID: vm-1\nSiteName: X\n%%\n"
    status, body = upload(Client(), text)
    assert status == 400
    assert body["message_error"].startswith("Only job, summary and sync messages")
    assert ApelRecord.objects.count() == 0


def test_a_site_token_sends_only_for_its_own_site_record_by_record() -> None:
    token = token_for(MAN)
    text = message(job(0), job(1, Site="OTHER-SITE"), job(2))
    status, body = upload(Client(), text, token)
    assert status == 202
    assert (body["accepted"], body["rejected"]) == (2, 1)
    (error,) = body["errors"]
    assert (error["index"], error["message"]) == (1, "Not allowed to send for site OTHER-SITE")
    assert error["line"] == 2 + len(job(0)) + 1
    assert ApelRecord.objects.get(local_job_id="job-0000000").source.startswith("token:apel")


def test_an_unknown_or_revoked_token_is_refused_with_401() -> None:
    token = token_for(MAN)
    IngestToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert upload(Client(), jobs_message(1), token)[0] == 401
    assert upload(Client(), jobs_message(1), "vmk_notatoken")[0] == 401
    assert ApelRecord.objects.count() == 0


def test_without_a_token_uploads_need_auth_once_ingest_auth_is_on(settings) -> None:
    settings.VACMON_HTTP_INGEST_AUTH = True
    assert upload(Client(), jobs_message(1))[0] == 401


def test_a_site_forwarding_summaries_keeps_its_records_out_of_the_individual_outbox() -> None:
    ApelSiteSettings.objects.create(site="SUMMARY-SITE", mode=MODE_SUMMARIES)
    text = message(job(0), job(1, Site="SUMMARY-SITE"))
    upload(Client(), text)
    forward = dict(ApelRecord.objects.values_list("site", "forward"))
    assert forward == {MAN: True, "SUMMARY-SITE": False}


def test_records_written_by_the_factory_library_are_all_accepted(tmp_path: Path) -> None:
    now = int(time.time())
    client = Client()
    token = token_for(MAN)
    vac = Sender(VAC_03, "vac01.tier2.hep.manchester.ac.uk", "vm123.example.org", MAN)
    vcycle = Sender(VCYCLE_03, "vcycle02.example.org", "vcycle-manager01.example.org", MAN)
    shipped = 0
    for sender, directory in ((vac, tmp_path / "vac"), (vcycle, tmp_path / "vcycle")):
        writer = ApelWriter(sender, daemon_dir=directory, clock=time.time)
        for i in range(6):
            machine = MachineState(
                name=f"vm-{i}.example.org",
                state="Shut down",
                machinetype="atlas" if i % 2 else "lhcb",
                uuid=f"{sender.factory}-{i}",
                started_time=now - 90_000 + i,
                heartbeat_time=now - 3600 + i,
                stopped_time=now - 3600 + i,
                num_processors=1 + i % 4,
                cpu_seconds=80_000 + i,
                hs06=10.0 * (1 + i % 4) if i % 3 else None,
                fqan="/atlas/Role=production/Capability=NULL" if i % 2 else None,
                max_rss_bytes=2 * 1024**3 if i % 2 else None,
            )
            writer.write(machine)
        uploader = ApelUploader("http://testserver", token, post=_through(client))
        results = uploader.upload_outgoing(writer.outgoing_dir)
        assert results and all(result.ok for _, result in results)
        shipped += len(results)
        for _, result in results:
            assert '"rejected":0' in result.body and '"accepted":1' in result.body
    # Vac ships only machines with an HS06 value (two of its six here); Vcycle ships all.
    assert ApelRecord.objects.count() == shipped == 10


def _through(client: Client):  # type: ignore[no-untyped-def]
    """The uploader's `post` hook, answered by the Django test client instead of a socket."""

    def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
        response = client.post(
            url.removeprefix("http://testserver"),
            data=body,
            content_type=headers["Content-Type"],
            HTTP_AUTHORIZATION=headers["Authorization"],
        )
        return response.status_code, response.content

    return post


@pytest.fixture
def refuses_job_1500():
    """A trigger in the real database that refuses one row part way through an upload."""
    table = ApelRecord._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION apel_refuse() RETURNS trigger AS $$ BEGIN"
                " RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER apel_refuse BEFORE INSERT ON {table} FOR EACH ROW"
                " WHEN (NEW.local_job_id = 'job-0001500') EXECUTE FUNCTION apel_refuse()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER apel_refuse BEFORE INSERT ON {table}"
                " WHEN NEW.local_job_id = 'job-0001500'"
                " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TRIGGER apel_refuse{' ON ' + table if connection.vendor == 'postgresql' else ''}"
        )
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION apel_refuse()")


def test_an_upload_the_database_refuses_part_way_through_stores_none_of_its_records(
    refuses_job_1500, monkeypatch
) -> None:
    # Small insert chunks, so that on SQLite the refusal comes after rows already went in.
    monkeypatch.setattr(jobs, "_INSERT_CHUNK", 100)
    with pytest.raises(DatabaseError):
        services.accept_message(jobs_message(2000))
    assert not ApelRecord.objects.exists()
    assert not ApelMonth.objects.exists()
    # The same database takes the next upload whole.
    assert services.accept_message(jobs_message(1000)).accepted == 1000
    assert ApelRecord.objects.waiting().count() == 1000


def test_a_text_too_long_for_apels_procedure_is_refused_with_its_reason_not_stored() -> None:
    # PostgreSQL's varchar(255) refused the whole upload with a server error; SQLite kept
    # the record, which APEL's loader would then have refused.
    status, body = upload(Client(), message(job(1, SubmitHost="h" * 256), job(2)))
    assert (status, body["accepted"], body["rejected"]) == (202, 1, 1)
    (error,) = body["errors"]
    assert error["message"] == "(1406, \"Data too long for column 'submitHost' at row 0\")"
    assert list(ApelRecord.objects.values_list("local_job_id", flat=True)) == ["job-0000002"]
