from __future__ import annotations

import socket
import time

import pytest

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_with_the_embedded_database_and_broker(client):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]


def test_readyz_checks_the_outboxes_when_there_are_some(client):
    checks = client.get("/readyz").json()["checks"]
    assert checks["probe_outbox"]["ok"] and checks["apel_outbox"]["ok"]


def test_readyz_is_not_ready_quickly_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"amqp://guest:secret@127.0.0.1:{closed_port()}//"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    settings.VACMON_READY_TIMEOUT = 1.0
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 5
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "not ready"
    assert not body["checks"]["broker"]["ok"] and body["checks"]["database"]["ok"]
    assert "secret" not in response.content.decode()


@pytest.mark.broker
def test_readyz_reaches_a_real_rabbitmq(client, settings):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    broker = client.get("/readyz").json()["checks"]["broker"]
    assert broker["ok"], broker


def test_health_endpoints_refuse_writes(client):
    assert client.post("/healthz").status_code == 405
