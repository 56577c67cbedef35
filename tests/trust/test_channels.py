"""A site's policy holds on every channel: a `signed` or `networks` site refuses anonymous
HTTP status messages and APEL uploads, and APEL uploads need a sender token by default."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings as django_settings

from tests.samples import VAC_FACTORY
from tests.vacmon_apel.support import jobs_message, upload
from vacmon.ingest.counters import read_all
from vacmon.models import ApelRecord, Site, Space
from vacmon.store import Scope, get_store
from vacmon.trust.tokens import issue_token

pytestmark = pytest.mark.django_db

MAN = "UKI-NORTHGRID-MAN-HEP"  # the site of the sample messages and records


def status_message(site: str = MAN, space: str = "vac01.example.ac.uk") -> dict[str, object]:
    body = json.loads(VAC_FACTORY)
    body.update(site=site, space=space, time_sent=int(time.time()))
    return body


def post_status(client, body: object, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post("/api/v1/messages", body, content_type="application/json", **headers)


def stored(site: str = MAN) -> int:
    return len(get_store().latest("factory_status", since=0, scope=Scope(site=site)))


@pytest.mark.parametrize("policy", ["signed", "networks"])
def test_a_closed_site_refuses_anonymous_http_status(client, policy):
    Site.objects.create(name=MAN, udp_policy=policy)
    answer = post_status(client, status_message())
    assert answer.status_code == 400
    (item,) = answer.json()["items"]
    assert item["reason"] == "anonymous_refused"
    assert stored() == 0
    assert read_all()[("http", "rejected", "anonymous_refused")] == 1


def test_an_open_site_still_takes_anonymous_http_status_as_untrusted(client):
    Site.objects.create(name=MAN)
    assert post_status(client, status_message()).status_code == 202
    assert stored() == 1


def test_a_space_may_be_stricter_than_its_site_on_http_too(client):
    site = Site.objects.create(name=MAN)
    Space.objects.create(site=site, name="strict.example.ac.uk", udp_policy="signed")
    answer = post_status(client, [status_message(), status_message(space="strict.example.ac.uk")])
    assert [i["status"] for i in answer.json()["items"]] == ["accepted", "rejected"]


def test_an_open_space_of_a_signed_site_takes_anonymous_http_status(client):
    site = Site.objects.create(name=MAN, udp_policy="signed")
    Space.objects.create(site=site, name="open.example.ac.uk", udp_policy="open")
    answer = post_status(client, [status_message(), status_message(space="open.example.ac.uk")])
    assert [i["status"] for i in answer.json()["items"]] == ["rejected", "accepted"]


def test_closing_a_site_refuses_the_very_next_anonymous_request(client):
    site = Site.objects.create(name=MAN)
    assert post_status(client, status_message()).status_code == 202
    site.udp_policy = "signed"
    site.save()
    (item,) = post_status(client, status_message()).json()["items"]
    assert item["reason"] == "anonymous_refused"


def test_a_closed_site_takes_status_with_its_own_token(client):
    site = Site.objects.create(name=MAN, udp_policy="signed")
    _, token = issue_token(site, "factory")
    assert post_status(client, status_message(), token).status_code == 202
    assert stored() == 1


def test_apel_uploads_need_a_token_by_default(client):
    assert django_settings.VACMON_APEL_UPLOAD_AUTH is True
    status, body = upload(client, jobs_message(2))
    assert status == 401
    assert "sender token" in body["error"]
    assert ApelRecord.objects.count() == 0


def test_an_apel_upload_with_the_sites_token_is_kept(client):
    _, token = issue_token(Site.objects.create(name=MAN), "apel")
    status, body = upload(client, jobs_message(2), token)
    assert (status, body["accepted"]) == (202, 2)


def test_an_apel_token_of_another_site_keeps_nothing(client):
    _, token = issue_token(Site.objects.create(name="OTHER"), "apel")
    status, body = upload(client, jobs_message(2), token)
    assert status == 400
    assert body["accepted"] == 0
    assert ApelRecord.objects.count() == 0


@pytest.mark.parametrize("policy", ["signed", "networks"])
def test_anonymous_apel_uploads_for_a_closed_site_are_refused_even_when_allowed(
    client, settings, policy
):
    settings.VACMON_APEL_UPLOAD_AUTH = False
    Site.objects.create(name=MAN, udp_policy=policy)
    status, body = upload(client, jobs_message(2))
    assert status == 400
    assert body["rejected"] == 2
    assert "Not allowed to send for site" in body["errors"][0]["message"]
    assert ApelRecord.objects.count() == 0


def test_anonymous_apel_uploads_for_an_open_site_are_kept_when_allowed(client, settings):
    settings.VACMON_APEL_UPLOAD_AUTH = False
    status, body = upload(client, jobs_message(2))
    assert (status, body["accepted"]) == (202, 2)
