"""The hook for the shared store contract suite: an ElasticsearchStore on a live cluster.

Import the fixture where it is needed (`from tests.store_es.live import make_es_store`). Each
store it makes writes under its own random prefix, refreshes on write so reads see writes at
once, and has its data streams and templates deleted at teardown. Without ELASTICSEARCH_URL
every test that asks for it is skipped, loudly.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

SKIP_REASON = (
    "ELASTICSEARCH STORE NOT TESTED: ELASTICSEARCH_URL is not set, so the store contract "
    "was not run against a live Elasticsearch cluster"
)


@pytest.fixture
def make_es_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], object]]:
    url = os.environ.get("ELASTICSEARCH_URL", "")
    if not url:
        pytest.skip(SKIP_REASON)
    from vacmon.store.elasticsearch import ElasticsearchStore
    from vacmon.store.es import templates
    from vacmon.store.es.client import EsSettings, make_client
    from vacmon.store.es.spool import Spool

    made: list[ElasticsearchStore] = []
    caps = live_capabilities(url)

    def make(*, lifecycle: str | None = None, prefix: str | None = None) -> ElasticsearchStore:
        conf = EsSettings(
            url=url,
            api_key=os.environ.get("ELASTICSEARCH_API_KEY", ""),
            username=os.environ.get("ELASTICSEARCH_USERNAME", ""),
            password=os.environ.get("ELASTICSEARCH_PASSWORD", ""),
            ca_certs=os.environ.get("ELASTICSEARCH_CA_CERTS", ""),
            prefix=prefix or unique_prefix(),
            # The test distribution has no data stream lifecycle: the store runs as a site
            # with such a cluster would, with ELASTICSEARCH_LIFECYCLE=none.
            lifecycle=lifecycle or ("dsl" if caps.data_stream_lifecycle else "none"),
        )
        spool = Spool(tmp_path_factory.mktemp("es-spool"), 64 * 1024 * 1024)
        client = make_client(conf)
        # A single node cannot place replicas; the documented override keeps the cluster
        # green and halves the shards the suite leaves behind.
        client.cluster.put_component_template(
            name=templates.custom_component_name(conf.prefix),
            template={"settings": {"index.number_of_replicas": 0}},
        )
        store = ElasticsearchStore(
            client,
            prefix=conf.prefix,
            lifecycle=conf.lifecycle,
            spool=spool,
            refresh="wait_for",
            settings=conf,
        )
        made.append(store)
        return store

    yield make
    for store in made:
        _tear_down(store, caps)


def unique_prefix() -> str:
    return f"vacmon-test-{uuid.uuid4().hex[:10]}-"


def live_capabilities(url: str) -> Any:
    from vacmon.store.es import capabilities
    from vacmon.store.es.client import EsSettings, make_client

    client = make_client(EsSettings(url=url))
    try:
        return capabilities.of_client(client)
    finally:
        client.close()


def _tear_down(store: Any, caps: Any) -> None:
    from vacmon.store.es import templates

    client, prefix = store.client, store.prefix
    if not caps.data_stream_api:
        # Without the data-stream REST API a stream cannot be deleted, nor the templates it
        # uses; they stay in the throwaway test cluster under this store's unique prefix,
        # read by nothing else, and go with it (scripts/elasticsearch.sh stop).
        store.close()
        return
    quiet = client.options(ignore_status=404)
    quiet.indices.delete(index=store.latest_index.index)
    quiet.indices.delete_index_template(name=store.latest_index.index)
    for stream in templates.all_streams(prefix):
        quiet.indices.delete_data_stream(name=stream)
        quiet.indices.delete_index_template(name=stream)
    for name in (
        templates.settings_component_name(prefix),
        templates.custom_component_name(prefix),
    ):
        quiet.cluster.delete_component_template(name=name)
    store.close()
