"""Helpers shared by the CRR tests: write messages to the store, read documents back."""

from __future__ import annotations

import json

from factories.messages import Message, normalise
from publisher import CrrFormat, validate_document
from vacmon.store import get_store

NOW = 1_760_000_000
SITE = "EXAMPLE-SITE"
SPACE = "vac01.example.ac.uk"


def write(*messages: Message) -> None:
    get_store().write(list(messages))


def from_sample(text: str, received: int) -> Message:
    return normalise(json.loads(text), received=received)


def fetch(client, url: str, **headers: str) -> dict:
    response = client.get(url, **headers)
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def resource(document: dict, space: str) -> dict:
    return document["computingresources"][space]


def assert_valid(document: dict, fmt: CrrFormat = CrrFormat.CRR_1_5) -> None:
    assert validate_document(document, fmt) == []
