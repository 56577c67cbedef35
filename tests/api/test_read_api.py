from __future__ import annotations

import time

import pytest

from tests.builders import factory_status, machine_status, machinetype_status
from vacmon.store import get_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return int(time.time())


@pytest.fixture
def fleet(now):
    get_store().write(
        [
            factory_status(
                received=now - 60, factory="a.example", running_processors=3, max_processors=8
            ),
            factory_status(
                received=now - 30, factory="b.example", running_processors=5, max_processors=16
            ),
            factory_status(received=now - 4000, factory="old.example", running_processors=9),
            factory_status(
                received=now - 60,
                factory="c.other",
                site="OTHER",
                space="vac.other.org",
                running_processors=1,
            ),
            machinetype_status(received=now - 60, factory="a.example", machinetype="lhcb"),
            machine_status(received=now - 60, factory="a.example", machine="a-01"),
        ]
    )


def test_sites_list_current_capacity_without_stale_factories(client, fleet):
    sites = {s["name"]: s for s in client.get("/api/v1/sites/").json()["results"]}
    assert sites["EXAMPLE-SITE"]["running_processors"] == 8
    assert sites["EXAMPLE-SITE"]["max_processors"] == 24
    assert sites["EXAMPLE-SITE"]["stale_factories"] == 1
    assert sites["OTHER"]["children"] == ["vac.other.org"]


def test_a_site_shows_its_spaces_and_series(client, fleet):
    body = client.get("/api/v1/sites/EXAMPLE-SITE/?from=-3600").json()
    assert [s["name"] for s in body["spaces"]] == ["vac01.example.ac.uk"]
    series = body["series"]["running_processors"]
    assert series["values"]["vac01.example.ac.uk"][-1] == 8.0


def test_an_unknown_site_is_404(client, fleet):
    assert client.get("/api/v1/sites/NOPE/").status_code == 404


def test_a_space_lists_its_factories(client, fleet):
    body = client.get("/api/v1/sites/EXAMPLE-SITE/spaces/vac01.example.ac.uk/").json()
    assert sorted(f["factory"] for f in body["factories"]) == [
        "a.example",
        "b.example",
        "old.example",
    ]


def test_factories_filter_by_site(client, fleet):
    factories = client.get("/api/v1/factories/?site=OTHER").json()["results"]
    assert [f["factory"] for f in factories] == ["c.other"]


def test_a_factory_shows_latest_state_machinetypes_and_history(client, fleet):
    body = client.get("/api/v1/factories/EXAMPLE-SITE/vac01.example.ac.uk/a.example/").json()
    assert body["latest"]["running_processors"] == 3
    assert [m["machinetype"] for m in body["machinetypes"]] == ["lhcb"]
    assert len(body["history"]) == 1


def test_machinetypes_filter_by_vo(client, fleet):
    assert len(client.get("/api/v1/machinetypes/?vo=lhcb").json()["results"]) == 1
    assert client.get("/api/v1/machinetypes/?vo=atlas").json()["results"] == []


def test_machines_are_listed(client, fleet):
    machines = client.get("/api/v1/machines/?from=-3600").json()
    assert [m["machine"] for m in machines] == ["a-01"]


def test_series_reject_a_bad_metric_and_a_bad_range(client, fleet):
    assert client.get("/api/v1/series/?metric=os_issue").status_code == 400
    assert client.get("/api/v1/series/?from=-60&to=-120").status_code == 400
    assert client.get("/api/v1/series/?from=nonsense").status_code == 400


def test_series_group_machinetypes_by_vo(client, fleet):
    body = client.get(
        "/api/v1/series/?type=machinetype_status&metric=running_processors&group_by=vo"
        "&from=-600&interval=300"
    ).json()
    assert list(body["values"]) == ["lhcb"]


def test_the_openapi_schema_is_served(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/messages" in response.content
