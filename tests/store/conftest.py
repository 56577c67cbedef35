from __future__ import annotations

import os

import pytest

from tests.store_es.live import make_es_store  # noqa: F401 - a fixture used below
from vacmon.store.embedded import EmbeddedStore


def _backends() -> list[object]:
    es = pytest.param(
        "elasticsearch",
        marks=pytest.mark.skipif(
            not os.environ.get("ELASTICSEARCH_URL"),
            reason="SKIPPED LOUDLY: ELASTICSEARCH_URL is not set, so the store contract suite "
            "did not run against Elasticsearch",
        ),
    )
    return ["embedded", es]


@pytest.fixture(params=_backends())
def store(request, db):
    if request.param == "embedded":
        return EmbeddedStore()
    return request.getfixturevalue("make_es_store")()


@pytest.fixture
def embedded_only(settings, monkeypatch):
    """For tests of the embedded store's own machinery (its write lock, rollups, latest-state
    rules): they run on the embedded store even when the suite is pointed at a cluster, in
    this process and in the listener processes they start."""
    from vacmon.store import reset_store

    settings.ELASTICSEARCH_URL = ""
    monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
    reset_store()
    yield
    reset_store()
