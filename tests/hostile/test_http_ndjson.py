"""NDJSON bodies from a hostile sender: each refusal has a reason and is counted, a bad line
costs that line only, and each object is checked against what its sender may send."""

from __future__ import annotations

import json
import time

import pytest
from django.test import override_settings

from tests import samples
from vacmon.ingest.counters import read_all
from vacmon.models import Site
from vacmon.store import Scope, get_store
from vacmon.trust.tokens import issue_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/messages"
NDJSON = "application/x-ndjson"
MAN = "UKI-NORTHGRID-MAN-HEP"


def line(factory: str, site: str = MAN, **extra: object) -> bytes:
    body = json.loads(samples.VAC_FACTORY)
    body.update(site=site, factory=factory, time_sent=int(time.time()), **extra)
    return json.dumps(body).encode()


def post(client, body: bytes, content_type: str = NDJSON, **headers):
    return client.post(URL, data=body, content_type=content_type, **headers)


def stored() -> set[str]:
    return {m.factory for m in get_store().latest("factory_status", since=0)}


def counted(name: str, reason: str = "") -> int:
    return read_all().get(("http", name, reason), 0)


def test_a_bad_line_among_good_ones_costs_that_line_only(client):
    lines = [
        line("f1.example"),
        b"not json",
        b"[]",
        b'{"message_type": "nope"}',
        line("f2.example"),
    ]
    response = post(client, b"\n".join(lines) + b"\n")
    assert response.status_code == 202
    report = response.json()
    assert (report["accepted"], report["rejected"]) == (2, 3)
    reasons = [item.get("reason") for item in report["items"]]
    assert reasons == [None, "not_json", "not_object", "unknown_message_type", None]
    assert stored() == {"f1.example", "f2.example"}
    assert counted("received") == 5
    assert counted("accepted") == 2
    assert counted("rejected", "not_json") == 1
    assert counted("rejected", "not_object") == 1


def test_a_line_longer_than_a_datagram_is_refused_as_oversize_and_its_neighbours_stored(client):
    huge = line("huge.example", padding="x" * 70_000)
    body = line("before.example") + b"\n" + huge + b"\n" + line("after.example")
    report = post(client, body).json()
    assert [item["status"] for item in report["items"]] == ["accepted", "rejected", "accepted"]
    assert report["items"][1]["reason"] == "oversize"
    assert stored() == {"before.example", "after.example"}
    assert counted("rejected", "oversize") == 1


def test_a_megabyte_line_is_refused_without_holding_up_the_request(client):
    huge = b'{"message_type": "factory_status", "x": "' + b"y" * (4 << 20) + b'"}'
    started = time.monotonic()
    report = post(client, huge + b"\n" + line("fine.example")).json()
    assert time.monotonic() - started < 10
    assert [item.get("reason") for item in report["items"]] == ["oversize", None]
    assert stored() == {"fine.example"}


def test_a_line_that_is_not_utf8_costs_that_line_only(client):
    bad = line("bad.example").replace(b"bad.example", b"bad\xff\xfe.example")
    response = post(client, line("good.example") + b"\n" + bad + b"\n")
    assert response.status_code == 202
    items = response.json()["items"]
    assert [item.get("reason") for item in items] == [None, "not_utf8"]
    assert stored() == {"good.example"}
    assert counted("rejected", "not_utf8") == 1


def test_a_deeply_nested_line_is_refused_as_too_deep_and_the_next_line_stored(client):
    deep = line("deep.example")[:-1] + b', "x": ' + b"[" * 1010 + b"]" * 1010 + b"}"
    response = post(client, deep + b"\n" + line("next.example"))
    assert [item.get("reason") for item in response.json()["items"]] == ["too_deep", None]
    assert stored() == {"next.example"}


def test_lines_ending_in_crlf_and_blank_lines_are_taken(client):
    body = line("a.example") + b"\r\n\r\n   \r\n" + line("b.example") + b"\r\n"
    report = post(client, body).json()
    assert (report["accepted"], report["rejected"]) == (2, 0)
    assert [item["index"] for item in report["items"]] == [0, 1]


def test_a_line_sent_twice_in_one_body_is_stored_once_and_counted_a_duplicate(client):
    once = line("twice.example")
    report = post(client, once + b"\n" + once + b"\n").json()
    assert (report["accepted"], report["duplicates"]) == (1, 1)
    assert counted("duplicates") == 1


@override_settings(VACMON_HTTP_MAX_ITEMS=3)
def test_more_lines_than_the_limit_are_refused_as_a_whole_and_counted(client):
    body = b"\n".join(line(f"f{i}.example") for i in range(4))
    response = post(client, body)
    assert response.status_code == 413
    assert response.json()["reason"] == "too_many_items"
    assert stored() == set()
    assert counted("rejected", "too_many_items") == 1


@override_settings(VACMON_HTTP_MAX_BODY=65_507)
def test_a_body_larger_than_the_limit_is_refused_as_oversize_and_counted(client):
    body = b"\n".join(line(f"f{i}.example") for i in range(200))
    response = post(client, body)
    assert response.status_code == 413
    assert response.json()["reason"] == "oversize"
    assert stored() == set()
    assert counted("rejected", "oversize") == 1


@pytest.mark.parametrize("body", [b"", b"\n\n  \r\n"])
def test_an_empty_body_is_refused_as_empty_and_counted(client, body):
    response = post(client, body)
    assert response.status_code == 400
    assert response.json()["reason"] == "empty"
    assert counted("rejected", "empty") == 1


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_of_another_content_type_is_refused_with_415_and_counted(client, content_type):
    response = post(client, line("f.example"), content_type)
    assert response.status_code == 415
    assert response.json()["reason"] == "unsupported_media_type"
    assert stored() == set()
    assert counted("rejected", "unsupported_media_type") == 1


def test_a_content_type_with_parameters_is_still_ndjson(client):
    body = line("a.example") + b"\n" + line("b.example")
    response = post(client, body, "application/x-ndjson; charset=utf-8")
    assert response.json()["accepted"] == 2


def test_each_object_is_checked_against_the_sites_the_token_may_send_for(client):
    _, token = issue_token(Site.objects.create(name=MAN), "factories")
    body = line("mine.example") + b"\n" + line("theirs.example", site="CERN-PROD")
    response = post(client, body, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 202
    items = response.json()["items"]
    assert [item.get("reason") for item in items] == [None, "site_not_allowed"]
    (mine,) = get_store().latest("factory_status", since=0)
    assert (mine.factory, mine.trusted) == ("mine.example", True)
    assert counted("rejected", "site_not_allowed") == 1


def test_each_anonymous_object_for_a_closed_site_is_refused_and_the_open_ones_stored(client):
    Site.objects.create(name=MAN, udp_policy="signed")
    body = line("closed.example") + b"\n" + line("open.example", site="CERN-PROD")
    response = post(client, body)
    items = response.json()["items"]
    assert [item.get("reason") for item in items] == ["anonymous_refused", None]
    assert get_store().latest("factory_status", since=0, scope=Scope(site=MAN)) == []
    assert stored() == {"open.example"}
    assert counted("rejected", "anonymous_refused") == 1


def test_a_request_answered_503_can_be_sent_again_and_is_stored_not_taken_for_a_duplicate(
    client, monkeypatch
):
    from django.db import OperationalError

    import vacmon.ingest.batch as batch
    import vacmon.ingest.http as http

    class Away:
        def write(self, messages):
            raise OperationalError("database is locked")

    body = line("again.example")
    with monkeypatch.context() as away:
        away.setattr(http, "get_store", Away)
        away.setattr(batch.time, "sleep", lambda seconds: None)
        assert post(client, body).status_code == 503
    response = post(client, body)
    assert response.status_code == 202
    assert (response.json()["accepted"], response.json()["duplicates"]) == (1, 0)
    assert stored() == {"again.example"}
