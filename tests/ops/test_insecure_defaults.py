"""Loud unsafe defaults: a production start on the development key or an unchecked Host
header fails, and absolute URLs come from VACMON_BASE_URL, never from the Host header."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.builders import factory_status, machinetype_status
from tests.vacmon_publisher.support import NOW, write
from vacmon.ops.baseurl import BaseUrlMiddleware
from vacmon.ops.insecure import DEVELOPMENT_SECRET_KEY, check_startup
from vacmon.publisher import selectors, services


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.VACMON_ALLOW_INSECURE = False
    settings.SECRET_KEY = "a-long-random-production-key-0123456789"
    settings.ALLOWED_HOSTS = ["vacmon.example.org"]
    settings.VACMON_BASE_URL = ""
    return settings


def test_a_production_start_on_the_development_key_fails(production):
    production.SECRET_KEY = DEVELOPMENT_SECRET_KEY
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY is the development key"):
        check_startup()


def test_a_production_start_with_any_host_and_no_base_url_fails(production):
    production.ALLOWED_HOSTS = ["*"]
    with pytest.raises(ImproperlyConfigured, match="VACMON_BASE_URL"):
        check_startup()


def test_a_production_start_with_a_key_and_named_hosts_succeeds(production):
    check_startup()


def test_any_host_is_fine_once_the_base_url_is_set(production):
    production.ALLOWED_HOSTS = ["*"]
    production.VACMON_BASE_URL = "https://vacmon.example.org"
    check_startup()


def test_an_operator_may_start_insecurely_on_purpose_and_is_told(production, caplog):
    production.SECRET_KEY = DEVELOPMENT_SECRET_KEY
    production.VACMON_ALLOW_INSECURE = True
    check_startup()
    assert "INSECURE" in caplog.text


def test_a_development_run_starts_with_a_warning(production, caplog):
    production.SECRET_KEY = DEVELOPMENT_SECRET_KEY
    production.DEBUG = True
    check_startup()
    assert "development run" in caplog.text


@pytest.fixture
def _fresh_crr_cache():
    selectors.forget_all()
    yield
    selectors.forget_all()


@pytest.mark.django_db
@pytest.mark.usefixtures("_fresh_crr_cache")
def test_the_crr_index_names_the_base_url_not_the_host_header(client, settings):
    settings.VACMON_BASE_URL = "https://vacmon.example.org"
    write(factory_status(received=NOW - 5), machinetype_status(received=NOW - 5))
    services.publish_all(NOW)
    body = client.get(
        "/crr/", HTTP_ACCEPT="application/json", HTTP_HOST="evil.example.com"
    ).content.decode()
    assert "evil.example.com" not in body
    assert "https://vacmon.example.org/crr/" in body


def test_a_base_url_with_a_path_is_refused(settings):
    settings.VACMON_BASE_URL = "https://vacmon.example.org/sub"
    with pytest.raises(ImproperlyConfigured, match="VACMON_BASE_URL"):
        BaseUrlMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]


def test_runservice_refuses_a_production_start_on_development_defaults(production):
    from django.core.management import CommandError, call_command

    production.SECRET_KEY = DEVELOPMENT_SECRET_KEY
    with pytest.raises(CommandError, match="refusing to start"):
        call_command("runservice")
