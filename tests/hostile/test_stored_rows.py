"""Every page and API answer is 200 or 4xx for anything stored, however it got there."""

from __future__ import annotations

import pytest

from tests.hostile.support import (
    BAD_NAMES,
    Names,
    assert_no_server_errors,
    hostile_fleet,
    now,
    page_urls,
    store_probe_rows,
)
from vacmon.publisher.selectors import forget_all
from vacmon.publisher.services import publish_all
from vacmon.store import get_store

pytestmark = pytest.mark.django_db

GOOD = Names("GOOD-SITE", "vac01.good.example", "f1.good.example")


def store(names: Names) -> None:
    t = now()
    get_store().write(hostile_fleet(t, names))
    store_probe_rows(names.site, t)
    publish_all(t)
    forget_all()


def test_huge_finite_numbers_and_far_times_break_no_page(client):
    store(GOOD)
    assert_no_server_errors(client, page_urls(GOOD))


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_a_stored_name_no_url_can_hold_breaks_no_page(client, bad):
    names = Names(bad, bad, bad, machinetype=bad, machine=bad, vo=bad)
    store(names)
    assert_no_server_errors(client, page_urls(names))


def test_a_probe_result_without_a_site_breaks_no_probe_page(client):
    store_probe_rows("", now())
    assert_no_server_errors(client, ["/probes/", "/probes/ar/"])


def test_names_no_path_segment_can_hold_get_no_link_but_are_still_shown(client):
    store(Names("..", "a/b", "f1.example.org"))
    overview = client.get("/").content.decode()
    assert 'href="/sites/../' not in overview and ">..<" in overview
    index = client.get("/crr/").content.decode()
    assert "/crr/../" not in index and "a/b" in index
    documents = client.get("/crr/?format=json").json()["documents"]
    assert all(d["site"] != ".." for d in documents)
    probes = client.get("/probes/").content.decode()
    assert "<th>..</th>" in probes and "/probes/ar/../" not in probes
