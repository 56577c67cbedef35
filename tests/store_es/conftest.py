from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.store_es.fake_server import FakeElasticsearch
from tests.store_es.live import make_es_store  # noqa: F401  (the live contract fixture)
from vacmon.store.elasticsearch import ElasticsearchStore
from vacmon.store.es.client import EsSettings, make_client
from vacmon.store.es.spool import Spool


@pytest.fixture
def fake_es() -> Iterator[Callable[..., FakeElasticsearch]]:
    servers: list[FakeElasticsearch] = []

    def start(**options: Any) -> FakeElasticsearch:
        server = FakeElasticsearch(**options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def es_store(tmp_path: Path) -> Iterator[Callable[..., ElasticsearchStore]]:
    """Build a store on the real client pointed at a fake server, with fast backoff."""
    stores: list[ElasticsearchStore] = []

    def build(server: FakeElasticsearch, **options: Any) -> ElasticsearchStore:
        conf = EsSettings(url=server.url)
        defaults: dict[str, Any] = {
            "spool": Spool(tmp_path / "spool", 10 * 1024 * 1024),
            "initial_backoff": 0.01,
            "max_backoff": 0.05,
            "replay_every": 0.0,
            "settings": conf,
        }
        store = ElasticsearchStore(make_client(conf, request_timeout=5), **{**defaults, **options})
        stores.append(store)
        return store

    yield build
    for store in stores:
        store.close()
