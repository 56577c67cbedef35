"""What a real Elasticsearch answers where a fake could only guess: the server at
ELASTICSEARCH_URL (scripts/elasticsearch.sh in CI). Skipped, loudly, without it.

The integration-test distribution CI runs lacks some modules (docs/elasticsearch.md,
"Testing"); the tests that meet a missing API check that VacMon says so clearly, and are
skipped on a full server where that API exists.
"""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.store_es.live import live_capabilities, unique_prefix
from tests.store_es.messages import factories
from vacmon.store.es import capabilities
from vacmon.store.es.client import EsSettings, make_client

pytestmark = pytest.mark.elasticsearch

URL = os.environ.get("ELASTICSEARCH_URL", "")
if not URL:
    pytest.skip(
        "SKIPPED LOUDLY: ELASTICSEARCH_URL is not set, so nothing ran against a real server",
        allow_module_level=True,
    )
CAPS = live_capabilities(URL)


def node_version() -> str:
    client = make_client(EsSettings(url=URL))
    try:
        nodes = client.nodes.info(node_id="_local", filter_path="nodes.*.version").body
    finally:
        client.close()
    (node,) = nodes["nodes"].values()
    return str(node["version"])


@pytest.fixture
def check_store(settings, tmp_path):
    def run(*, lifecycle: str) -> str:
        settings.ELASTICSEARCH_URL = URL
        settings.ELASTICSEARCH_PREFIX = unique_prefix()
        settings.ELASTICSEARCH_LIFECYCLE = lifecycle
        settings.VACMON_SPOOL_DIR = str(tmp_path / "spool")
        out = StringIO()
        call_command("check_store", stdout=out)
        return out.getvalue()

    return run


def served_lifecycle() -> str:
    if CAPS.data_stream_lifecycle:
        return "dsl"
    return "ilm" if CAPS.ilm else "none"


def test_check_store_reports_the_real_version_and_names_each_missing_capability(check_store):
    out = check_store(lifecycle=served_lifecycle())

    assert f"ok   server: Elasticsearch {node_version()} " in out
    for name in capabilities.NEEDED_FOR:
        state = "ok  " if getattr(CAPS, name) else "WARN"
        assert f"{state} capability {name}: " in out
    for name in CAPS.missing():
        assert f"capability {name}: MISSING: needed for" in out
    assert "ok   round trip: write, refresh and read back" in out


def test_the_check_round_trip_leaves_no_message_behind(check_store, settings):
    check_store(lifecycle=served_lifecycle())

    client = make_client(EsSettings(url=URL))
    try:
        stream = f"{settings.ELASTICSEARCH_PREFIX}factory_status"
        count = client.count(index=stream, query={"term": {"site": "vacmon-check"}})
    finally:
        client.close()
    assert count["count"] == 0


@pytest.mark.skipif(CAPS.data_stream_lifecycle, reason="this server has data stream lifecycle")
def test_check_store_fails_naming_the_setting_when_the_lifecycle_is_not_served(check_store):
    with pytest.raises(CommandError, match=r"ELASTICSEARCH_LIFECYCLE=dsl, .* set ELASTICSEARCH_"):
        check_store(lifecycle="dsl")


@pytest.mark.skipif(CAPS.data_stream_lifecycle, reason="this server has data stream lifecycle")
def test_a_store_whose_lifecycle_the_cluster_lacks_keeps_its_spool_and_names_the_setting(
    make_es_store, caplog
):
    store = make_es_store(lifecycle="dsl")
    batch = factories(3)

    assert store.write(batch).inserted == 3  # durably accepted, in the spool

    assert "set ELASTICSEARCH_LIFECYCLE=none" in caplog.text
    # Replaying hits the same refusal: it is the cluster's, not the messages', so the
    # segment must stay in the spool rather than be rejected as poison.
    assert store.replay_spool() == 0
    assert store.spool is not None
    assert store.spool.pending()
    assert store.rejected_total == 0


@pytest.mark.skipif(CAPS.delete_by_query, reason="this server has delete-by-query")
def test_purge_on_a_cluster_without_delete_by_query_says_so(make_es_store):
    store = make_es_store()
    store.write(factories(2))

    with pytest.raises(capabilities.Unsupported, match="no _delete_by_query API"):
        store.purge(before=2**31)
