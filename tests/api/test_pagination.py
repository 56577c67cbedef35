"""Every list endpoint is cursor-paginated: `limit` up to a maximum and `next` links that
walk the whole list once, in a fixed order."""

from __future__ import annotations

import time

import pytest

from tests.builders import factory_status
from vacmon.models import ProbeEndpoint
from vacmon.store import get_store

pytestmark = pytest.mark.django_db
NOW = int(time.time())


def walk(client, url: str) -> list[dict]:
    found, pages = [], 0
    while url:
        body = client.get(url).json()
        found += body["results"]
        url = body["next"]
        pages += 1
        assert pages < 100
    return found


def test_the_factory_list_walks_every_factory_once_through_next(client):
    get_store().write(
        [factory_status(received=NOW, site=f"S{i % 3}", factory=f"f{i:02d}") for i in range(25)]
    )
    first = client.get("/api/v1/factories/?limit=10").json()
    assert len(first["results"]) == 10 and first["next"].startswith("http://testserver/")
    found = walk(client, "/api/v1/factories/?limit=10")
    keys = [(f["site"], f["factory"]) for f in found]
    assert len(keys) == 25 and keys == sorted(set(keys))


def test_a_table_list_walks_every_row_once_through_next(client):
    ProbeEndpoint.objects.bulk_create(
        [ProbeEndpoint(hostname=f"h{i:02d}", flavour="HTTPS", site="S") for i in range(25)]
    )
    found = walk(client, "/api/v1/probes/endpoints/?limit=10")
    assert sorted(e["hostname"] for e in found) == [f"h{i:02d}" for i in range(25)]


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=x", "cursor=not-a-cursor"])
def test_a_bad_limit_or_cursor_is_a_400(client, query):
    get_store().write([factory_status(received=NOW)])
    assert client.get(f"/api/v1/factories/?{query}").status_code == 400


def test_a_cursor_of_another_list_is_a_400_not_a_500(client):
    get_store().write([factory_status(received=NOW)])
    sites = client.get("/api/v1/sites/?limit=1")
    assert sites.status_code == 200
    cursor = "WzEsIDJd"  # [1, 2]: numbers where the factory list orders by strings
    assert client.get(f"/api/v1/factories/?cursor={cursor}").status_code == 400


def test_the_largest_page_is_a_thousand(client):
    assert client.get("/api/v1/probes/endpoints/?limit=1000").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/sites/?to=%C2%B3",
        "/api/v1/sites/?from=-%C2%B3",
        "/api/v1/sites/?interval=%C2%B3",
        "/api/v1/factories/?limit=%C2%B3",
        "/api/v1/machines/?limit=%C2%B3",
        "/api/v1/probes/results/?limit=%C2%B3",
        "/api/v1/probes/runner/?window=%C2%B3",
    ],
)
def test_a_number_that_is_a_digit_only_in_unicode_is_a_400(client, url):
    # "³" passes str.isdigit() and fails int(); it once answered 500.
    assert client.get(url).status_code == 400
