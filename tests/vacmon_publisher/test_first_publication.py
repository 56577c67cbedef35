"""A new space is published within a minute of its first status, not at the next period,
and its URL says what to expect until then."""

from __future__ import annotations

import json
import time

import pytest

from tests.builders import factory_status, machinetype_status
from tests.vacmon_publisher.support import SITE, SPACE, write
from vacmon.publisher import first, services
from vacmon.publisher.first import NewSpaces

pytestmark = pytest.mark.django_db

URL = f"/crr/{SITE}/{SPACE}/crr.json"


def report(space: str = SPACE) -> list:
    now = int(time.time())
    batch = [
        factory_status(received=now - 5, space=space, max_processors=8, max_hs06=80.0),
        machinetype_status(received=now - 5, space=space, max_wallclock_seconds=86400),
    ]
    write(*batch)
    return batch


def test_a_space_heard_but_not_yet_published_answers_404_with_when_to_expect_it(client):
    report()
    response = client.get(URL)
    assert response.status_code == 404
    assert response["Retry-After"] == "60"
    body = json.loads(response.content)
    assert body["error"] == "no CRR document is published here yet"
    assert body["retry_after_seconds"] == 60


def test_a_space_never_heard_answers_404_saying_it_has_not_reported(client):
    response = client.get(URL)
    assert response.status_code == 404
    assert "Retry-After" not in response
    assert "has reported" in json.loads(response.content)["detail"]


def test_the_first_stored_status_of_a_new_space_publishes_it_and_its_site_at_once(client):
    queued: list[tuple[str, str]] = []
    new_spaces = NewSpaces(send=lambda site, space: queued.append((site, space)))
    new_spaces(report())
    assert queued == [(SITE, SPACE)]
    for site, space in queued:
        services.publish_first(site, space)
    assert client.get(URL).status_code == 200
    assert client.get(f"/crr/{SITE}/crr.json").status_code == 200


def test_a_space_already_published_or_already_seen_queues_nothing():
    queued: list[tuple[str, str]] = []
    new_spaces = NewSpaces(send=lambda site, space: queued.append((site, space)))
    batch = report()
    services.publish_all()
    new_spaces(batch)
    assert queued == []
    other = report("vac02.example.ac.uk")
    new_spaces(other)
    new_spaces(other)
    assert queued == [(SITE, "vac02.example.ac.uk")]


def test_a_broker_that_refuses_the_task_costs_no_batch(caplog):
    def refuse(site: str, space: str) -> None:
        raise ConnectionError("broker down")

    NewSpaces(send=refuse)(report())
    assert "could not queue the first CRR publication" in caplog.text


def test_a_database_error_while_checking_costs_no_batch_and_is_asked_again(monkeypatch, caplog):
    queued: list[tuple[str, str]] = []
    new_spaces = NewSpaces(send=lambda site, space: queued.append((site, space)))
    batch = report()

    def broken(spaces: set[tuple[str, str]]) -> set[tuple[str, str]]:
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(first, "published", broken)
    new_spaces(batch)
    assert queued == [] and "could not tell which new spaces" in caplog.text
    monkeypatch.undo()
    new_spaces(batch)
    assert queued == [(SITE, SPACE)]


def test_the_udp_listener_queues_the_first_publication_of_a_new_space(monkeypatch):
    from vacmon.management.commands.listen_udp import Command

    writer = Command()._writer(0)
    assert isinstance(writer.batches.on_written, NewSpaces)


def test_http_ingest_queues_the_first_publication_of_a_new_space(client, monkeypatch):
    from vacmon.ingest import http

    queued: list[tuple[str, str]] = []
    spaces = NewSpaces(send=lambda s, sp: queued.append((s, sp)))
    monkeypatch.setattr(http._batches, "on_written", spaces)
    now = int(time.time())
    message = {
        "message_type": "factory_status",
        "site": SITE,
        "space": "vac03.example.ac.uk",
        "factory": "f1.example.ac.uk",
        "time_sent": now,
        "running_processors": 1,
        "max_processors": 8,
    }
    answer = client.post(
        "/api/v1/messages", data=json.dumps(message), content_type="application/json"
    )
    assert answer.status_code == 202, answer.content
    assert queued == [(SITE, "vac03.example.ac.uk")]


def test_a_batch_naming_thousands_of_new_spaces_queues_each_of_them_once():
    # One query per space would be slow, one OR of them all too deep for SQLite (1,000).
    queued: list[tuple[str, str]] = []
    new_spaces = NewSpaces(send=lambda site, space: queued.append((site, space)))
    now = int(time.time())
    batch = [factory_status(received=now, space=f"s{n}.example") for n in range(3_000)]
    new_spaces(batch)
    assert sorted(queued) == sorted((m.site, m.space) for m in batch)
