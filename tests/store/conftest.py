from __future__ import annotations

import os

import pytest

from vacmon.store.embedded import EmbeddedStore


def _backends() -> list[object]:
    es = pytest.param(
        "elasticsearch",
        marks=pytest.mark.skipif(
            not os.environ.get("ELASTICSEARCH_URL"),
            reason="SKIPPED LOUDLY: ELASTICSEARCH_URL is not set, so the store contract "
            "suite did not run against Elasticsearch",
        ),
    )
    return ["embedded", es]


@pytest.fixture(params=_backends())
def store(request, db):
    if request.param == "embedded":
        return EmbeddedStore()
    from vacmon.store.elasticsearch import ElasticsearchStore

    es_store = ElasticsearchStore.from_settings()
    yield_store = es_store
    return yield_store
