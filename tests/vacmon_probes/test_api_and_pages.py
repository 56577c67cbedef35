"""The probe API (JSON and CSV), the pages and the VO feed."""

from __future__ import annotations

import csv
import io
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User

from tests.builders import factory_status, machinetype_status
from tests.vacmon_probes.helpers import result
from vacmon.models import ProbeDefinition, ProbeResult
from vacmon.store import get_store

pytestmark = pytest.mark.django_db

NOW = int(time.time())
START = int(datetime(2026, 3, 10, tzinfo=UTC).timestamp())


@pytest.fixture
def operator(client):
    # force_login skips password hashing, which costs a second per test.
    client.force_login(User.objects.create(username="op", is_staff=True, is_superuser=True))
    return client


def heartbeat() -> ProbeDefinition:
    return ProbeDefinition.objects.get(metric="uk.ac.gridpp.vacmon.Space-Heartbeat")


def some_results() -> None:
    definition = heartbeat()
    ProbeResult.objects.bulk_create(
        [
            result(NOW - 600, "OK", definition=definition),
            result(NOW - 300, "CRITICAL", definition=definition),
            result(
                NOW - 300,
                "OK",
                definition=definition,
                hostname="vac02.example.ac.uk",
                site="OTHER-SITE",
            ),
        ]
    )


NEW_PROBE = {
    "metric": "org.example.TCP-Connect",
    "target_kind": "endpoint",
    "flavour": "HTTPS",
    "executable": "/usr/lib/nagios/plugins/check_tcp",
    "args": ["-H", "$HOSTNAME$", "-p", "443"],
    "thresholds": {"time": {"warning": "~:1", "critical": "~:5"}},
}


def test_anyone_reads_definitions_but_only_operators_change_them(client, operator):
    assert client.get("/api/v1/probes/definitions/").status_code == 200
    client.logout()
    assert client.post(
        "/api/v1/probes/definitions/", NEW_PROBE, content_type="application/json"
    ).status_code in (401, 403)
    operator.force_login(User.objects.get(username="op"))
    created = operator.post(
        "/api/v1/probes/definitions/", NEW_PROBE, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    assert ProbeDefinition.objects.get(metric="org.example.TCP-Connect").args[1] == "$HOSTNAME$"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"thresholds": {"time": {"warning": "5:1"}}}, "starts after it ends"),
        ({"metric": "not a metric"}, "does not follow"),
        ({"flavour": ""}, "flavour"),
        ({"executable": "/bin/sh"}, "not an executable plugin"),
        ({"executable": "../../../bin/sh"}, "not an executable plugin"),
        ({"builtin": "Space-Heartbeat"}, "not both"),
        ({"interval": 30, "timeout": 10}, "at least 60"),
    ],
)
def test_a_bad_definition_is_refused_with_its_reason(operator, change, message):
    answer = operator.post(
        "/api/v1/probes/definitions/", {**NEW_PROBE, **change}, content_type="application/json"
    )
    assert answer.status_code == 400
    assert message in str(answer.json())


def test_downtimes_are_entered_through_the_api(operator):
    body = {
        "hostname": "vac01.example.ac.uk",
        "flavour": "VAC",
        "start": "2026-03-10T22:00:00Z",
        "end": "2026-03-11T00:00:00Z",
        "classification": "scheduled",
    }
    assert (
        operator.post(
            "/api/v1/probes/downtimes/", body, content_type="application/json"
        ).status_code
        == 201
    )
    backwards = {**body, "end": "2026-03-10T21:00:00Z"}
    assert (
        operator.post(
            "/api/v1/probes/downtimes/", backwards, content_type="application/json"
        ).status_code
        == 400
    )


def test_results_are_filtered_and_exported_as_csv(client):
    some_results()
    answer = client.get("/api/v1/probes/results/", {"site": "EXAMPLE-SITE", "from": "-3600"})
    statuses = [r["status"] for r in answer.json()["results"]]
    assert statuses == ["CRITICAL", "OK"]
    exported = client.get("/api/v1/probes/results/", {"site": "EXAMPLE-SITE", "format": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [r["status"] for r in rows] == ["CRITICAL", "OK"]
    assert rows[0]["metric"] == "uk.ac.gridpp.vacmon.Space-Heartbeat"


def test_a_metric_timeline_is_a_list_of_segments(client):
    some_results()
    answer = client.get(
        "/api/v1/probes/timelines/",
        {
            "metric": "uk.ac.gridpp.vacmon.Space-Heartbeat",
            "hostname": "vac01.example.ac.uk",
            "flavour": "VAC",
            "from": str(NOW - 3600),
            "to": str(NOW),
        },
    ).json()
    assert [s["status"] for s in answer["results"]] == ["MISSING", "OK", "CRITICAL"]
    assert answer["results"][1]["start"] == NOW - 600


def test_availability_is_computed_on_demand_daily_monthly_and_as_csv(client):
    definition = heartbeat()
    ProbeResult.objects.bulk_create(
        # OK until 12:00, CRITICAL after: half of the day up.
        [
            result(START + i * 300, "OK" if i < 144 else "CRITICAL", definition=definition)
            for i in range(-1, 288)
        ]
    )
    daily = client.get(
        "/api/v1/probes/ar/", {"site": "EXAMPLE-SITE", "from": "2026-03-10", "to": "2026-03-10"}
    ).json()
    assert daily["variant"] == "argo-streaming"
    (day,) = daily["results"]
    assert (day["availability"], day["reliability"], day["stored"]) == (50.0, 50.0, False)
    monthly = client.get(
        "/api/v1/probes/ar/",
        {"site": "EXAMPLE-SITE", "from": "2026-03-09", "to": "2026-03-10", "period": "monthly"},
    ).json()
    (month,) = monthly["results"]
    assert month["period"] == "2026-03" and month["days"] == 2
    exported = client.get(
        "/api/v1/probes/ar/",
        {"site": "EXAMPLE-SITE", "from": "2026-03-10", "to": "2026-03-10", "format": "csv"},
    )
    (row,) = csv.DictReader(io.StringIO(exported.content.decode()))
    assert row["availability"] == "50.0"


def test_the_runner_endpoint_reports_lateness_percentiles(client):
    definition = heartbeat()
    rows = []
    for late in range(1, 101):
        row = result(NOW - 60, "OK", definition=definition, hostname=f"h{late}")
        row.started_at, row.finished_at, row.lateness = NOW - 60, NOW - 59, float(late)
        rows.append(row)
    ProbeResult.objects.bulk_create(rows)
    answer = client.get("/api/v1/probes/runner/", {"window": "600"}).json()
    assert answer["runs"] == 100
    assert answer["lateness_p95"] == 95.0
    assert answer["max_concurrency"] == 100


def test_the_pages_render(client):
    some_results()
    matrix = client.get("/probes/")
    assert matrix.status_code == 200
    assert b"st-CRITICAL" in matrix.content and b"OTHER-SITE" in matrix.content
    page = client.get("/probes/metric/", {"metric": "uk.ac.gridpp.vacmon.Space-Heartbeat"})
    assert page.status_code == 200 and b"vac02.example.ac.uk" in page.content
    assert client.get("/probes/ar/").status_code == 200
    assert client.get("/probes/ar/EXAMPLE-SITE/").status_code == 200
    assert b"Lateness p95" in client.get("/probes/runner/").content


def test_the_feed_lists_spaces_with_their_flavours(client):
    get_store().write(
        [
            factory_status(received=NOW - 60),
            factory_status(
                received=NOW - 60,
                factory="vc1.cern.ch",
                space="vcycle02.cern.ch",
                site="CERN-PROD",
                daemon_version="Vcycle 03.00+pre06 vcycled",
            ),
            machinetype_status(received=NOW - 60, machinetype="lhcb"),
        ]
    )
    root = ET.fromstring(client.get("/probes/feed.xml").content)
    services = {(s.get("hostname"), s.get("flavour")) for s in root.iter("service")}
    assert services == {("vac01.example.ac.uk", "VAC"), ("vcycle02.cern.ch", "VCYCLE")}
    lhcb = ET.fromstring(client.get("/probes/feed.xml", {"vo": "lhcb"}).content)
    assert lhcb.findtext("vo") == "lhcb"
    assert [s.get("hostname") for s in lhcb.iter("service")] == ["vac01.example.ac.uk"]


def test_the_admin_lists_definitions(client):
    client.force_login(User.objects.create(username="root", is_staff=True, is_superuser=True))
    page = client.get("/admin/vacmon/probedefinition/")
    assert page.status_code == 200
    assert b"uk.ac.gridpp.vacmon.Space-Heartbeat" in page.content
