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

    def make() -> ElasticsearchStore:
        conf = EsSettings(
            url=url,
            api_key=os.environ.get("ELASTICSEARCH_API_KEY", ""),
            username=os.environ.get("ELASTICSEARCH_USERNAME", ""),
            password=os.environ.get("ELASTICSEARCH_PASSWORD", ""),
            ca_certs=os.environ.get("ELASTICSEARCH_CA_CERTS", ""),
            prefix=f"vacmon-test-{uuid.uuid4().hex[:10]}-",
        )
        spool = Spool(tmp_path_factory.mktemp("es-spool"), 64 * 1024 * 1024)
        store = ElasticsearchStore(
            make_client(conf), prefix=conf.prefix, spool=spool, refresh="wait_for", settings=conf
        )
        made.append(store)
        return store

    yield make
    for store in made:
        client, prefix = store.client, store.prefix
        for stream in templates.all_streams(prefix):
            client.options(ignore_status=404).indices.delete_data_stream(name=stream)
            client.options(ignore_status=404).indices.delete_index_template(name=stream)
        client.options(ignore_status=404).cluster.delete_component_template(
            name=templates.settings_component_name(prefix)
        )
        store.close()
