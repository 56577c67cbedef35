"""HTTP ingest refuses hostile bodies with a reason, and takes the next good one."""

from __future__ import annotations

import json
import time

import pytest

from tests import samples

pytestmark = pytest.mark.django_db


def deep_body(depth: int) -> str:
    head = '{"message_type":"factory_status","space":"p.sp","factory":"f","time_sent":%d,"x":'
    return head % int(time.time()) + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [975, 1010])
@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
def test_a_deeply_nested_body_is_refused_as_too_deep_and_the_next_is_taken(
    client, depth, content_type
):
    response = client.post("/api/v1/messages", deep_body(depth), content_type=content_type)
    assert response.status_code == 400
    assert [item["reason"] for item in response.json()["items"]] == ["too_deep"]
    good = {**json.loads(samples.VAC_FACTORY), "time_sent": int(time.time())}
    assert client.post("/api/v1/messages", good, content_type="application/json").status_code == 202


def test_out_of_range_items_of_a_batch_are_refused_naming_the_field_and_the_rest_taken(client):
    now = int(time.time())
    good = {**json.loads(samples.VAC_FACTORY), "time_sent": now}
    huge = {**good, "factory": "f2.example.org", "running_hs06": 1.7e308}
    slash = {**good, "factory": "f3.example.org", "site": "a/b"}
    response = client.post("/api/v1/messages", [good, huge, slash], content_type="application/json")
    assert response.status_code == 202
    items = response.json()["items"]
    assert [i["status"] for i in items] == ["accepted", "rejected", "rejected"]
    assert (items[1]["reason"], items[1]["field"]) == ("out_of_range", "running_hs06")
    assert (items[2]["reason"], items[2]["field"]) == ("bad_name", "site")
