"""Serving stored documents: formats, conditional GET, caching headers, the index, and
keeping the last good document when a new one fails validation."""

from __future__ import annotations

import json
import logging

import pytest
from django.utils.http import http_date

from publisher import CrrFormat
from tests.builders import factory_status, machinetype_status
from tests.vacmon_publisher.support import NOW, SITE, SPACE, assert_valid, fetch, resource, write
from vacmon.models import CrrTarget, PublicationFailure
from vacmon.publisher import services

pytestmark = pytest.mark.django_db

URL = f"/crr/{SITE}/{SPACE}/crr.json"


@pytest.fixture
def published():
    write(
        factory_status(received=NOW - 5, max_processors=8, max_hs06=80.0),
        machinetype_status(received=NOW - 5, max_wallclock_seconds=86400),
    )
    services.publish_all(NOW)


def test_a_document_carries_its_validators_and_may_be_cached(client, published):
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    assert response["Last-Modified"] == http_date(NOW)
    assert response["Cache-Control"] == "public, max-age=300"


def test_a_matching_if_none_match_answers_304_without_a_body(client, published):
    etag = client.get(URL)["ETag"]
    response = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_an_unchanged_document_answers_304_to_if_modified_since(client, published):
    assert client.get(URL, HTTP_IF_MODIFIED_SINCE=http_date(NOW)).status_code == 304
    assert client.get(URL, HTTP_IF_MODIFIED_SINCE=http_date(NOW - 1)).status_code == 200


def test_a_stale_etag_gets_the_new_document(client, published):
    old = client.get(URL)["ETag"]
    services.publish_all(NOW + 300)
    response = client.get(URL, HTTP_IF_NONE_MATCH=old)
    assert response.status_code == 200
    assert response["ETag"] != old
    assert resource(json.loads(response.content), SPACE)["publication_time"] == NOW + 300


def test_crr_1_5_is_the_default_and_never_carries_an_extra_key(client, published):
    res = resource(fetch(client, URL), SPACE)
    allowed = {
        "site", "type", "jobmanager", "jobmanager_version", "status", "number_logical_cpus",
        "capacity_hs06", "os", "coprocessor", "max_walltime_minutes", "max_memory_gb",
        "assigned_vos", "comment", "publication_time", "accesspoints", "shares",
    }  # fmt: skip
    assert set(res) <= allowed
    assert "capacity_HS06" not in res


def test_the_vacmon_2019_format_is_served_on_request(client, published):
    doc = fetch(client, URL + "?format=vacmon-2019")
    assert_valid(doc, CrrFormat.VACMON_2019)
    res = resource(doc, SPACE)
    assert res["jobmanager"] == "uk.ac.gridpp.vac"
    assert res["capacity_HS06"] == 80


def test_an_unknown_format_is_a_400_and_an_unknown_space_a_404(client, published):
    assert client.get(URL + "?format=crr-9").status_code == 400
    assert client.get(f"/crr/{SITE}/nowhere.example.org/crr.json").status_code == 404
    assert client.get("/crr/NOWHERE/crr.json").status_code == 404


def test_serving_never_builds_a_document(client, published, django_assert_max_num_queries):
    client.get(URL)  # warm the body cache
    write(factory_status(received=NOW + 10, factory="f2.example.ac.uk", max_processors=100))
    with django_assert_max_num_queries(1):
        doc = fetch(client, URL)
    assert resource(doc, SPACE)["number_logical_cpus"] == 8


def break_the_space() -> None:
    """A newer factory whose daemon no CRR v1.5 jobmanager matches."""
    write(
        factory_status(
            received=NOW + 200, factory="odd.example.ac.uk", daemon_version="Foo 9.9 food"
        )
    )


def test_a_document_that_fails_validation_leaves_the_last_good_one_served(
    client, published, caplog
):
    before = client.get(URL)
    break_the_space()
    with caplog.at_level(logging.WARNING, logger="vacmon.publisher.services"):
        outcome = services.publish_space(SITE, SPACE, now=NOW + 300)
    assert outcome.refused == ("crr-1.5", "vacmon-2019")
    after = client.get(URL)
    assert after.content == before.content
    assert after["ETag"] == before["ETag"]
    assert "CRR document refused" in caplog.text


def test_a_refusal_is_counted_and_explained(client, published):
    break_the_space()
    services.publish_space(SITE, SPACE, now=NOW + 300)
    target = CrrTarget.objects.get(site=SITE, space=SPACE)
    assert target.failure_count == 2  # one per format
    assert target.consecutive_failures == 1
    assert "jobmanager" in target.last_error
    failure = PublicationFailure.objects.filter(space=SPACE, format="crr-1.5").get()
    assert any("'Foo' is not one of" in issue for issue in failure.issues)
    assert failure.document is not None and not failure.document.valid
    assert "Foo" in failure.document.body


def test_the_index_shows_a_failing_space(client, published):
    break_the_space()
    services.publish_space(SITE, SPACE, now=NOW + 300)
    entries = {e["space"]: e for e in fetch(client, "/crr/?format=json")["documents"]}
    assert entries[SPACE]["failure_count"] == 2
    assert entries[SPACE]["consecutive_failures"] == 1
    assert "crr-1.5" in entries[SPACE]["formats"]  # the last good one is still listed
    html = client.get("/crr/").content.decode()
    assert 'class="failing' in html and "is not one of" in html


def test_a_later_good_document_clears_the_failing_state(client, published):
    break_the_space()
    services.publish_space(SITE, SPACE, now=NOW + 300)
    write(factory_status(received=NOW + 400, factory="odd.example.ac.uk"))
    services.publish_space(SITE, SPACE, now=NOW + 500)
    target = CrrTarget.objects.get(site=SITE, space=SPACE)
    assert (target.consecutive_failures, target.failure_count) == (0, 2)
    assert resource(fetch(client, URL), SPACE)["publication_time"] == NOW + 500


def test_the_index_lists_documents_as_html_or_json(client, published):
    html = client.get("/crr/")
    assert html["Content-Type"].startswith("text/html")
    assert f"http://testserver{URL}" in html.content.decode()
    by_accept = fetch(client, "/crr/", HTTP_ACCEPT="application/json")
    by_query = fetch(client, "/crr/?format=json")
    assert by_accept == by_query
    entries = {(e["site"], e["space"]): e for e in by_query["documents"]}
    assert set(entries) == {(SITE, SPACE), (SITE, None)}
    space = entries[(SITE, SPACE)]
    assert space["formats"]["crr-1.5"]["url"] == f"http://testserver{URL}"
    assert space["formats"]["vacmon-2019"]["url"].endswith("?format=vacmon-2019")
    assert space["formats"]["crr-1.5"]["published_at"] == NOW
