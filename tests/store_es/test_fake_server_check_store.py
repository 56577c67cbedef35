"""`manage.py check_store` against fake servers, a closed port and the embedded store."""

from __future__ import annotations

import socket
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.store_es.fake_server import (
    ES7_INFO,
    ES8_INFO,
    ES9_INFO,
    OPENSEARCH_INFO,
    Reply,
    bulk_reply,
    error_reply,
)
from vacmon.store.es import builders, templates


@pytest.fixture
def es_settings(settings, tmp_path):
    def point_at(url):
        settings.ELASTICSEARCH_URL = url
        settings.VACMON_SPOOL_DIR = str(tmp_path / "spool")
        return settings

    return point_at


def check_store():
    out = StringIO()
    call_command("check_store", stdout=out)
    return out.getvalue()


def echo_written(server):
    """Answer a search with the documents the fake received in its bulk requests."""

    def respond(request):
        hits = []
        for bulk in server.seen("PUT", r"/_bulk"):
            lines = bulk.ndjson()
            for action, doc in zip(lines[0::2], lines[1::2], strict=True):
                if "create" not in action:
                    continue  # a latest-state write beside the messages
                source = {k: v for k, v in doc.items() if k in builders.SOURCE_FIELDS}
                hits.append({"_id": action["create"]["_id"], "_source": source, "sort": [1]})
        return Reply(body={"hits": {"hits": hits}})

    return respond


@pytest.mark.parametrize("info", [ES8_INFO, ES9_INFO], ids=["es8", "es9"])
def test_it_reports_server_templates_and_a_round_trip_on_a_healthy_cluster(
    fake_es, es_settings, info
):
    server = fake_es(info=info)
    server.on("PUT", r"/_bulk", bulk_reply(201))
    server.on("POST", r"/vacmon-factory_status/_refresh", Reply(body={"_shards": {}}))
    server.on("POST", r"/vacmon-factory_status/_search", echo_written(server))
    server.on("POST", r"/vacmon-factory_status/_delete_by_query", Reply(body={"deleted": 1}))
    es_settings(server.url)

    out = check_store()

    version = info["version"]["number"]
    assert f"ok   server: Elasticsearch {version} (distribution default" in out
    assert "ok   compatibility: requests with compatible-with=8 are accepted" in out
    assert "WARN template vacmon-factory_status: missing" in out
    assert "ok   round trip: write, refresh and read back" in out
    assert "ok   spool:" in out
    assert server.seen("POST", r"/vacmon-factory_status/_delete_by_query")
    root = [r for r in server.seen("GET", r"/") if "compatible-with" not in r.headers["accept"]]
    assert root, "the server probe must go out without the compatibility header"


def test_it_reports_installed_templates_and_their_retention(fake_es, es_settings):
    server = fake_es()
    template = {
        "name": "vacmon-factory_status",
        "index_template": {
            "version": templates.TEMPLATE_VERSION,
            "template": {"lifecycle": {"data_retention": "30d"}},
        },
    }
    server.on(
        "GET",
        r"/_index_template/vacmon-factory_status",
        Reply(body={"index_templates": [template]}),
    )
    server.on("PUT", r"/_bulk", bulk_reply(201))
    server.on("POST", r"/vacmon-factory_status/_refresh", Reply(body={}))
    server.on("POST", r"/vacmon-factory_status/_search", echo_written(server))
    server.on("POST", r"/vacmon-factory_status/_delete_by_query", Reply(body={"deleted": 1}))
    es_settings(server.url)

    out = check_store()

    assert f"ok   template vacmon-factory_status: version {templates.TEMPLATE_VERSION}" in out
    assert "ok   lifecycle vacmon-factory_status: data stream lifecycle, retention 30d" in out


def test_it_fails_clearly_when_nothing_listens_on_the_port(es_settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    es_settings(f"http://127.0.0.1:{port}")
    with pytest.raises(
        CommandError, match=f"cannot reach Elasticsearch at http://127.0.0.1:{port}"
    ):
        check_store()


def test_it_refuses_an_opensearch_server_by_name(fake_es, es_settings):
    server = fake_es(info=OPENSEARCH_INFO, product="")
    es_settings(server.url)
    with pytest.raises(CommandError, match=r"the server is OpenSearch 2\.15\.0, not Elasticsearch"):
        check_store()


def test_it_refuses_elasticsearch_7_as_too_old(fake_es, es_settings):
    server = fake_es(info=ES7_INFO)
    es_settings(server.url)
    with pytest.raises(CommandError, match=r"Elasticsearch 7\.17\.21 is too old"):
        check_store()


def test_it_says_when_the_credentials_are_refused(fake_es, es_settings):
    server = fake_es()
    server.on("GET", r"/", error_reply(401, "security_exception"))
    es_settings(server.url)
    with pytest.raises(CommandError, match="refused our credentials"):
        check_store()


def test_it_says_when_the_compatibility_header_is_refused(fake_es, es_settings):
    server = fake_es()

    def root(request):
        if "compatible-with" in request.headers.get("accept", ""):
            return error_reply(400, "media_type_header_exception")
        return Reply(body=ES8_INFO)

    server.on("GET", r"/", root)
    es_settings(server.url)
    with pytest.raises(CommandError, match="refused our compatibility header"):
        check_store()


@pytest.mark.django_db
def test_without_elasticsearch_it_does_a_round_trip_on_the_embedded_store(settings):
    settings.ELASTICSEARCH_URL = ""
    out = check_store()
    assert "embedded" in out
    assert "ok   round trip: write and read back" in out
    from vacmon.models import FactoryStatus

    assert not FactoryStatus.objects.exists()  # the check leaves nothing behind
