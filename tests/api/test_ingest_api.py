from __future__ import annotations

import json

import pytest
from django.test import override_settings

from tests import samples
from vacmon.store import get_store

pytestmark = pytest.mark.django_db

URL = "/api/v1/messages"


def post(client, body, content_type="application/json"):
    return client.post(URL, data=body, content_type=content_type)


def test_it_accepts_one_object(client):
    response = post(client, samples.VAC_FACTORY)
    assert response.status_code == 202
    assert response.json()["accepted"] == 1
    assert get_store().latest("factory_status", since=0)[0].factory == (
        "vm123.tier2.hep.manchester.ac.uk"
    )


def test_it_accepts_an_array_and_reports_each_item(client):
    body = "[" + ",".join([samples.VAC_FACTORY, '{"message_type": "nope"}']) + "]"
    response = post(client, body)
    assert response.status_code == 202
    report = response.json()
    assert (report["accepted"], report["rejected"]) == (1, 1)
    assert report["items"][1] == {
        "index": 1,
        "status": "rejected",
        "reason": "unknown_message_type",
        "error": "unknown message_type 'nope'",
    }


def test_it_accepts_ndjson(client):
    body = "\n".join(samples.ALL) + "\nnot json\n"
    response = post(client, body, "application/x-ndjson")
    assert response.status_code == 202
    assert response.json()["accepted"] == len(samples.ALL)
    assert response.json()["items"][-1]["reason"] == "not_json"


def test_a_resent_message_counts_as_duplicate(client):
    post(client, samples.VAC_FACTORY)
    report = post(client, samples.VAC_FACTORY).json()
    assert (report["accepted"], report["duplicates"]) == (0, 1)


def test_it_answers_400_with_field_level_errors(client):
    obj = json.loads(samples.VAC_FACTORY)
    obj["running_processors"] = "lots"
    response = post(client, json.dumps(obj))
    assert response.status_code == 400
    item = response.json()["items"][0]
    assert (item["field"], item["reason"]) == ("running_processors", "wrong_type")


def test_it_answers_400_to_a_body_that_is_not_json(client):
    response = post(client, "{{{")
    assert response.status_code == 400
    assert response.json()["reason"] == "not_json"


@override_settings(VACMON_HTTP_MAX_BODY=100_000)
def test_it_answers_413_to_a_body_that_is_too_large(client):
    response = post(client, "[" + ",".join([samples.VAC_FACTORY] * 100) + "]")
    assert response.status_code == 413


@pytest.fixture
def site_token():
    from vacmon.models import Site
    from vacmon.trust.tokens import issue_token

    site = Site.objects.create(name="UKI-NORTHGRID-MAN-HEP")
    return issue_token(site, "factories")[1]


def test_a_site_token_makes_its_sites_messages_trusted(client, site_token):
    response = client.post(
        URL,
        data=samples.VAC_FACTORY,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {site_token}",
    )
    assert response.status_code == 202
    assert get_store().latest("factory_status", since=0)[0].trusted


def test_a_site_token_cannot_send_for_another_site(client, site_token):
    response = client.post(
        URL,
        data=samples.VCYCLE_FACTORY,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {site_token}",
    )
    assert response.status_code == 400
    assert response.json()["items"][0]["reason"] == "site_not_allowed"


def test_an_unknown_token_is_refused(client):
    response = client.post(
        URL,
        data=samples.VAC_FACTORY,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer vmk_not-a-real-token",
    )
    assert response.status_code == 401


@override_settings(VACMON_HTTP_INGEST_AUTH=True)
def test_ingest_without_a_token_is_refused_when_auth_is_required(client):
    assert post(client, samples.VAC_FACTORY).status_code == 401


def test_messages_without_a_token_are_stored_untrusted(client):
    post(client, samples.VAC_FACTORY)
    assert not get_store().latest("factory_status", since=0)[0].trusted


def deep_item(depth: int) -> str:
    body = json.loads(samples.VAC_FACTORY)
    body["factory"] = "deep.example"
    text = json.dumps(body)
    return text[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.django_db(transaction=True)
def test_an_item_the_store_cannot_take_is_quarantined_and_its_neighbour_stored(client, monkeypatch):
    import vacmon.ingest.pipeline as pipeline
    from factories.messages import normalise
    from vacmon.models import QuarantinedMessage

    def lenient(obj, **kwargs):
        # Past any parse-time depth limit: the store path's own answer is under test.
        deep = obj.pop("x", None)
        message = normalise(obj, **kwargs)
        if deep is not None:
            message.extra["x"] = deep
        return message

    monkeypatch.setattr(pipeline, "normalise", lenient)

    good = json.loads(samples.VAC_FACTORY)
    good["factory"] = "good.example"
    body = deep_item(975) + "\n" + json.dumps(good) + "\n"

    response = post(client, body, "application/x-ndjson")

    assert response.status_code == 202
    report = response.json()
    assert (report["accepted"], report["rejected"]) == (1, 1)
    assert report["items"][0]["reason"] == "unstorable"
    assert "RecursionError" in report["items"][0]["error"]
    factories = {m.factory for m in get_store().latest("factory_status", since=0)}
    assert factories == {"good.example"}
    assert QuarantinedMessage.objects.get().channel == "http"


def test_a_store_that_stays_unavailable_answers_503_not_500(client, monkeypatch):
    from django.db import OperationalError

    import vacmon.ingest.http as http

    class Away:
        def write(self, messages):
            raise OperationalError("database is locked")

    monkeypatch.setattr(http, "get_store", Away)

    response = post(client, samples.VAC_FACTORY)

    assert response.status_code == 503
    assert response.json()["reason"] == "store_unavailable"
    assert response["Retry-After"]
