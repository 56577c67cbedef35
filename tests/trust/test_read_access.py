"""VACMON_ANONYMOUS_READ and bearer tokens on the API and on pages outside the API."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import RequestFactory

from vacmon.models import Site
from vacmon.trust.middleware import BearerMiddleware
from vacmon.trust.tokens import issue_token

pytestmark = pytest.mark.django_db

API = "/api/v1/sites/"


@pytest.fixture
def closed(settings):
    settings.VACMON_ANONYMOUS_READ = False


def test_the_api_is_readable_anonymously_by_default(client):
    assert client.get(API).status_code == 200


def test_a_closed_api_refuses_anonymous_readers_with_a_challenge(client, closed):
    response = client.get(API)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_closed_api_serves_a_site_token(client, closed):
    _, plaintext = issue_token(Site.objects.create(name="S"), "reader")
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 200


def test_a_closed_api_serves_a_jwt(client, closed, issuer):
    token = issuer.token(groups=["/vacmon/sites/S/viewer"])
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_a_closed_api_serves_a_logged_in_user(client, closed):
    client.force_login(User.objects.create_user("viewer"))
    assert client.get(API).status_code == 200


def test_a_bad_token_is_refused_even_when_reading_is_open(client):
    response = client.get(API, HTTP_AUTHORIZATION="Bearer vmk_not-a-token")
    assert response.status_code == 401
    assert response.json() == {"error": "unknown ingest token"}


def test_health_stays_public_when_reading_is_closed(client, closed):
    assert client.get("/healthz").status_code == 200


def page(request) -> HttpResponse:
    return HttpResponse(f"hello {request.user}")


def through_middleware(path: str, **headers: str) -> HttpResponse:
    request = RequestFactory().get(path, **headers)
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    return BearerMiddleware(page)(request)


def test_closed_pages_send_browsers_to_the_login(closed):
    response = through_middleware("/site/S/", HTTP_ACCEPT="text/html")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/site/S/"


def test_closed_pages_answer_401_to_scripts(closed):
    assert through_middleware("/site/S/").status_code == 401


def test_closed_pages_serve_a_bearer_token_and_set_the_user(closed):
    _, plaintext = issue_token(Site.objects.create(name="S"), "reader")
    response = through_middleware("/site/S/", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.status_code == 200
    assert response.content == b"hello token:S:reader"


def test_public_paths_stay_open_when_pages_are_closed(closed):
    assert through_middleware("/crr/S/crr.json").status_code == 200


def test_pages_refuse_a_bad_bearer_token():
    response = through_middleware("/", HTTP_AUTHORIZATION="Bearer eyJ.bad.token")
    assert response.status_code == 401
