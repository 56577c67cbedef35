"""Hostile strings stored through the store come back as plain JSON strings from the API and
escaped in HTML pages (the original dashboard printed them raw: stored XSS, spec 8)."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
from django.urls import Resolver404, resolve
from django.utils.html import escape

from tests.builders import factory_status, machinetype_status
from vacmon.store import get_store

pytestmark = pytest.mark.django_db

SITE = "\"><img src=x onerror=alert('site')>"
SPACE = "vac01.example.org"
FACTORY = "f1.example.org"
MACHINETYPE = "<svg onload=alert('mt')>"
SHUTDOWN = "300 <script>alert('shutdown')</script>"
OS_ISSUE = "<iframe src=javascript:alert('os')></iframe> & \"quoted\""
HOSTILE = (SITE, MACHINETYPE, SHUTDOWN, OS_ISSUE)


@pytest.fixture
def stored() -> int:
    now = int(time.time())
    common = {"site": SITE, "space": SPACE, "factory": FACTORY, "received": now - 30}
    get_store().write(
        [
            factory_status(**common, os_issue=OS_ISSUE),
            machinetype_status(**common, machinetype=MACHINETYPE, shutdown_message=SHUTDOWN),
        ]
    )
    return now


def get_json(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    return response.json()


def test_the_factory_list_returns_hostile_values_as_plain_strings(client, stored):
    (factory,) = get_json(client, "/api/v1/factories/")["results"]
    assert factory["site"] == SITE
    assert factory["os_issue"] == OS_ISSUE


def test_the_machinetype_list_returns_hostile_values_as_plain_strings(client, stored):
    (machinetype,) = get_json(client, "/api/v1/machinetypes/")["results"]
    assert machinetype["machinetype"] == MACHINETYPE
    assert machinetype["shutdown_message"] == SHUTDOWN


def test_site_and_space_detail_take_hostile_names_in_the_path(client, stored):
    site = get_json(client, f"/api/v1/sites/{quote(SITE)}/")
    assert site["name"] == SITE
    space = get_json(client, f"/api/v1/sites/{quote(SITE)}/spaces/{SPACE}/")
    assert space["factories"][0]["os_issue"] == OS_ISSUE


def test_the_factory_detail_returns_hostile_values_as_plain_strings(client, stored):
    detail = get_json(client, f"/api/v1/factories/{quote(SITE)}/{SPACE}/{FACTORY}/")
    assert detail["latest"]["os_issue"] == OS_ISSUE
    assert detail["machinetypes"][0]["shutdown_message"] == SHUTDOWN


def dashboard_pages() -> list[str]:
    site = quote(SITE, safe="")
    return [
        "/",
        f"/sites/{site}/",
        f"/sites/{site}/{SPACE}/",
        f"/sites/{site}/{SPACE}/{FACTORY}/",
        f"/sites/{site}/{SPACE}/machinetypes/{quote(MACHINETYPE, safe='')}/",
        f"/search/?q={site}",
    ]


def is_routed(url: str) -> bool:
    try:
        match = resolve(url.split("?")[0])
    except Resolver404:
        return False
    return not match.route.startswith(("api/", "admin/"))


@pytest.mark.parametrize("url", dashboard_pages())
def test_dashboard_pages_escape_hostile_values(client, stored, url):
    if not is_routed(url):
        pytest.skip(f"no dashboard page is routed at {url}")
    response = client.get(url, follow=True)  # search redirects to an exact match
    assert response.status_code in (200, 404), response.status_code
    page = response.content.decode()
    for value in HOSTILE:
        assert value not in page, f"{value!r} appears unescaped on {url}"


def test_the_site_page_shows_the_site_name_escaped(client, stored):
    url = f"/sites/{quote(SITE, safe='')}/"
    if not is_routed(url):
        pytest.skip("the dashboard is not routed")
    page = client.get(url).content.decode()
    assert escape(SITE) in page
