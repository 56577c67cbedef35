from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.builders import factory_status
from vacmon.ingest.counters import WriteStats, bucket_key, record_write
from vacmon.models import CrrTarget, IngestCounter, ProbeMessage, ProbeResult
from vacmon.ops import metrics
from vacmon.store import get_store, reset_store

pytestmark = pytest.mark.django_db


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def count(channel: str, name: str, value: int, reason: str = "") -> None:
    IngestCounter.objects.create(channel=channel, name=name, reason=reason, value=value)


def test_it_exposes_the_ingest_counters_by_channel_and_reason(client):
    count("udp", "received", 10)
    count("udp", "accepted", 6)
    count("udp", "rejected", 2, "bad_value")
    count("udp", "rejected", 1, "unsigned")
    count("udp", "duplicates", 1)
    count("http", "received", 3)
    count("udp", "skewed", 4)
    got = scrape(client)
    assert got[("vacmon_ingest_received_total", (("channel", "udp"),))] == 10
    assert got[("vacmon_ingest_received_total", (("channel", "http"),))] == 3
    assert got[("vacmon_ingest_accepted_total", (("channel", "udp"),))] == 6
    assert got[("vacmon_ingest_duplicates_total", (("channel", "udp"),))] == 1
    assert got[("vacmon_ingest_skewed_total", (("channel", "udp"),))] == 4
    rejected = (("channel", "udp"), ("reason", "unsigned"))
    assert got[("vacmon_ingest_rejected_total", rejected)] == 1
    assert got[("vacmon_scrape_errors", (("part", "ingest"),))] == 0


def test_it_exposes_the_ingest_lag_from_the_newest_stored_message(client):
    now = int(time.time())
    get_store().write([factory_status(received=now - 120), factory_status(received=now - 500)])
    got = scrape(client)
    assert 119 <= got[("vacmon_ingest_lag_seconds", ())] <= 130
    newest = (
        "vacmon_ingest_newest_received_timestamp_seconds",
        (("message_type", "factory_status"),),
    )
    assert got[newest] == now - 120


def test_an_empty_store_has_no_lag_sample(client):
    assert ("vacmon_ingest_lag_seconds", ()) not in scrape(client)


def test_write_latency_is_a_histogram_shared_through_the_database(client):
    record_write(0.02, 100)
    record_write(0.02, 100)
    other_process = WriteStats()  # a second listener process, with its own memory
    other_process.record(3.0, 5000)
    assert other_process.flush()
    got = scrape(client)
    le = lambda b: ("vacmon_store_write_seconds_bucket", (("le", b),))  # noqa: E731
    assert got[le("0.01")] == 0
    assert got[le("0.025")] == 2
    assert got[le("2.5")] == 2
    assert got[le("5.0")] == 3
    assert got[le("+Inf")] == 3
    assert got[("vacmon_store_write_seconds_count", ())] == 3
    assert got[("vacmon_store_write_seconds_sum", ())] == pytest.approx(3.04)
    assert got[("vacmon_store_written_messages_total", ())] == 5200


def test_bucket_edges_are_inclusive():
    assert bucket_key(0.005) == "0.005"
    assert bucket_key(0.0051) == "0.01"
    assert bucket_key(999) == "+Inf"


def test_the_spool_depth_is_zero_on_the_embedded_store(client):
    got = scrape(client)
    assert got[("vacmon_es_spool_bytes", ())] == 0


def test_the_spool_depth_is_read_from_the_spool_directory(client, settings, tmp_path, monkeypatch):
    # Only the spool part: the others would ask the Elasticsearch store at the fake URL.
    monkeypatch.setattr(metrics, "PARTS", {"spool": metrics.spool_metrics})
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"
    settings.VACMON_SPOOL_DIR = str(tmp_path)
    (tmp_path / "0000000000000001.ndjson").write_text('{"a": 1}\n' * 10)
    reset_store()  # the backend is chosen from the settings just changed
    try:
        got = scrape(client)
    finally:
        reset_store()
    assert got[("vacmon_es_spool_bytes", ())] == 90
    assert got[("vacmon_es_spool_segments", ())] == 1


def probe_result(started: float, lateness: float) -> ProbeResult:
    return ProbeResult.objects.create(
        metric="org.vacmon.Heartbeat",
        hostname="f1.example.org",
        flavour="VAC",
        target_kind="factory",
        status="OK",
        summary="fine",
        timestamp=int(started),
        started_at=started,
        finished_at=started + 1,
        lateness=lateness,
    )


def test_it_exposes_probe_lateness_and_the_probe_outbox(client):
    now = time.time()
    probe_result(now - 60, 2.0)
    late = probe_result(now - 30, 10.0)
    probe_result(now - 3600, 500.0)  # outside the 15-minute window
    ProbeMessage.objects.create(result=late, format="metricOutput", headers={}, body="x")
    ProbeMessage.objects.filter().update(created_at=timezone.now() - timedelta(seconds=90))
    got = scrape(client)
    assert got[("vacmon_probe_lateness_max_seconds", ())] == 10.0
    assert got[("vacmon_probe_lateness_mean_seconds", ())] == 6.0
    assert got[("vacmon_probe_runs_recent", ())] == 2
    assert got[("vacmon_probe_outbox_depth", ())] == 1
    assert 89 <= got[("vacmon_probe_outbox_oldest_age_seconds", ())] <= 100


def test_it_exposes_the_age_of_each_crr_publication(client):
    CrrTarget.objects.create(
        site="S", space="v1.example.org", last_success_at=timezone.now() - timedelta(hours=2)
    )
    CrrTarget.objects.create(site="S", space="")
    got = scrape(client)
    published = (("site", "S"), ("space", "v1.example.org"))
    assert 7199 <= got[("vacmon_crr_publication_age_seconds", published)] <= 7210
    never = (("site", "S"), ("space", ""))
    assert got[("vacmon_crr_publication_age_seconds", never)] == float("inf")


def test_a_failing_part_is_reported_and_the_rest_still_scraped(client, monkeypatch):
    def broken():
        raise RuntimeError("store down")
        yield

    monkeypatch.setitem(metrics.PARTS, "lag", broken)
    count("udp", "received", 1)
    got = scrape(client)
    assert got[("vacmon_scrape_errors", (("part", "lag"),))] == 1
    assert got[("vacmon_ingest_received_total", (("channel", "udp"),))] == 1


def test_it_exposes_the_apel_outbox_depth_and_age(client):
    from vacmon.models import ApelBatch, ApelRecord

    now = timezone.now()
    header = "APEL-individual-job-message: v0.3"
    ApelBatch.objects.create(
        id="b1", header=header, record_count=3, created_at=now - timedelta(hours=1)
    )
    ApelBatch.objects.create(id="b2", header=header, record_count=2, created_at=now, sent_at=now)
    for n, age in enumerate((600, 60)):
        ApelRecord.objects.create(
            kind="job",
            header=header,
            text="Site: S",
            site="S",
            local_job_id=f"j{n}",
            year=2026,
            month=11,
            received_at=now - timedelta(seconds=age),
            forward=True,
        )
    got = scrape(client)
    assert got[("vacmon_apel_outbox_depth", ())] == 1
    assert 3599 <= got[("vacmon_apel_outbox_oldest_age_seconds", ())] <= 3610
    assert got[("vacmon_apel_pending_records_depth", ())] == 2
    assert 599 <= got[("vacmon_apel_pending_records_oldest_age_seconds", ())] <= 610
