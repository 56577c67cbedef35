"""The real client against a fake server: what write() sends and how it reads answers."""

from __future__ import annotations

import json
import time

import pytest

from tests import samples
from tests.store_es.fake_server import Reply, bulk_reply, error_reply
from tests.store_es.messages import factories, sample
from vacmon.store.base import WriteResult
from vacmon.store.elasticsearch import Unavailable
from vacmon.store.es import builders, latest

COMPAT_NDJSON = "application/vnd.elasticsearch+x-ndjson; compatible-with=8"
COMPAT_JSON = "application/vnd.elasticsearch+json; compatible-with=8"


def bulk_ids(request):
    """The message documents of a bulk request (not the latest-state writes before them)."""
    return [line["create"]["_id"] for line in request.ndjson()[0::2] if "create" in line]


def test_it_installs_templates_then_sends_create_actions_as_ndjson(fake_es, es_store):
    server = fake_es()
    server.on("PUT", r"/_bulk", bulk_reply(201))
    store = es_store(server)
    machinetype = sample(samples.VAC_MACHINETYPE)
    factory = sample()

    assert store.write([factory, machinetype]) == WriteResult(inserted=2, duplicates=0)

    puts = [r.path for r in server.requests if r.method == "PUT"]
    assert puts[-1] == "/_bulk"  # the 8.x client sends bulk as PUT
    assert puts[:4] == [
        "/_component_template/vacmon-settings",
        "/_index_template/vacmon-factory_status",
        "/_index_template/vacmon-machinetype_status",
        "/_index_template/vacmon-machine_status",
    ]
    assert "/_data_stream/vacmon-factory_status/_lifecycle" in puts
    template = server.seen("PUT", r"/_index_template/vacmon-factory_status")[0].json()
    assert template["priority"] > 200 and template["data_stream"] == {}
    (bulk,) = server.seen("PUT", r"/_bulk")
    assert bulk.headers["content-type"] == COMPAT_NDJSON
    assert bulk.headers["accept"] == COMPAT_JSON
    lines = bulk.ndjson()
    # Each sender's latest state first, kept newest by the cluster through its version.
    assert lines[0] == {
        "index": {
            "_index": "vacmon-latest",
            "_id": latest.doc_id(factory),
            "version": latest.version(factory),
            "version_type": "external_gte",
        }
    }
    assert lines[1] == json.loads(json.dumps(latest.document(builders.document(factory))))
    assert lines[2]["index"]["_id"] == latest.doc_id(machinetype)
    assert lines[4] == {
        "create": {"_index": "vacmon-factory_status", "_id": builders.doc_id(factory)}
    }
    assert lines[5] == json.loads(json.dumps(builders.document(factory)))
    assert lines[6]["create"]["_index"] == "vacmon-machinetype_status"


def test_templates_are_installed_once_per_process(fake_es, es_store):
    server = fake_es()
    server.on("PUT", r"/_bulk", bulk_reply(201))
    store = es_store(server)
    store.write(factories(1))
    store.write(factories(2))
    assert len(server.seen("PUT", r"/_index_template/vacmon-factory_status")) == 1
    assert len(server.seen("PUT", r"/_bulk")) == 2


def test_a_duplicate_id_counts_as_a_duplicate_not_an_error(fake_es, es_store):
    server = fake_es()
    server.on("PUT", r"/_bulk", bulk_reply(201, 409))
    store = es_store(server)
    assert store.write(factories(2)) == WriteResult(inserted=1, duplicates=1)
    assert store.rejected_total == 0 and not store.spool.pending()


def test_a_partial_bulk_failure_keeps_the_good_items_and_hands_back_the_refused(
    fake_es, es_store, caplog
):
    server = fake_es()
    server.on("PUT", r"/_bulk", bulk_reply(201, 400, 201))
    store = es_store(server)
    messages = factories(3)

    result = store.write(messages)

    assert (result.inserted, result.duplicates) == (2, 0)
    ((refused, reason),) = result.refused
    assert refused is messages[1] and "document_parsing_exception" in reason
    assert store.rejected_total == 1
    assert "document_parsing_exception" in caplog.text
    assert not store.spool.pending()  # a refused document is not retried


@pytest.mark.django_db(transaction=True)
def test_a_document_the_cluster_refuses_is_quarantined_and_its_batch_counted(fake_es, es_store):
    from vacmon.ingest.counters import Counters
    from vacmon.ingest.pipeline import BatchWriter, Parser
    from vacmon.models import QuarantinedMessage

    server = fake_es()
    server.on("PUT", r"/_bulk", bulk_reply(201, 400, 201))
    counters = Counters()
    writer = BatchWriter(Parser(counters, "udp"), es_store(server).write)
    datagrams = [json.dumps(asdict_fields(m)).encode() for m in factories(3)]
    for data in datagrams:
        writer.submit(data, "192.0.2.5", time.time())

    assert writer.flush_once() == 2

    kept = QuarantinedMessage.objects.get()
    assert bytes(kept.raw) == datagrams[1]
    assert "document_parsing_exception" in kept.detail
    assert counters.total("udp", "rejected", "unstorable") == 1


def test_a_request_the_cluster_refuses_whole_is_raised_for_the_caller_to_split(fake_es, es_store):
    server = fake_es()
    server.on("PUT", r"/_bulk", error_reply(413, "request_entity_too_large"))
    store = es_store(server)

    with pytest.raises(Unavailable) as raised:
        store.write(factories(2))

    assert raised.value.status == 413
    assert not store.spool.pending()  # spooling a refused body would only refuse again


def asdict_fields(message):
    return {**message.fields, **message.extra}


def test_items_refused_with_429_are_retried_alone_after_a_backoff(fake_es, es_store):
    server = fake_es()
    server.on("PUT", r"/_bulk", bulk_reply(201, 429, 201), bulk_reply(201))
    store = es_store(server)
    messages = factories(3)

    assert store.write(messages) == WriteResult(inserted=3, duplicates=0)

    first, second = server.seen("PUT", r"/_bulk")
    assert bulk_ids(first) == [builders.doc_id(m) for m in messages]
    assert bulk_ids(second) == [builders.doc_id(messages[1])]


def test_a_whole_request_answered_503_is_retried(fake_es, es_store):
    server = fake_es()
    server.on("PUT", r"/_bulk", error_reply(503, "cluster_block_exception"), bulk_reply(201))
    store = es_store(server)
    assert store.write(factories(2)) == WriteResult(inserted=2, duplicates=0)
    assert len(server.seen("PUT", r"/_bulk")) == 2


def test_items_still_refused_with_429_after_every_retry_go_to_the_spool(fake_es, es_store):
    server = fake_es()
    server.on("PUT", r"/_bulk", bulk_reply(201, 429), bulk_reply(429))
    store = es_store(server, max_retries=2)
    messages = factories(2)

    assert store.write(messages) == WriteResult(inserted=2, duplicates=0)

    assert len(server.seen("PUT", r"/_bulk")) == 3
    assert store.spooled_total == 1
    (segment,) = [s for s in store.spool.segments() if s.stat().st_size]
    assert json.loads(segment.read_text())["time_sent"] == messages[1].time_sent


def test_refused_connections_spool_and_replay_in_order_when_the_server_returns(fake_es, es_store):
    server = fake_es(listen=False)
    server.on("PUT", r"/_bulk", bulk_reply(201))
    store = es_store(server)
    first, second = factories(2), factories(1, factory="f2.example")

    assert store.write(first) == WriteResult(inserted=2, duplicates=0)
    assert store.write(second) == WriteResult(inserted=1, duplicates=0)
    assert store.spooled_total == 3 and store.spool.pending()
    size, segments = store.spooled()
    assert size > 0 and segments >= 1
    assert server.requests == []

    server.listen()
    later = factories(1, factory="f3.example")
    assert store.write(later) == WriteResult(inserted=1, duplicates=0)

    sent = [i for request in server.seen("PUT", r"/_bulk") for i in bulk_ids(request)]
    assert sent == [builders.doc_id(m) for m in [*first, *second, *later]]
    assert not store.spool.pending()
    assert store.spooled()[0] == 0
    assert store.replayed_total == 3


def test_a_replay_that_finds_the_cluster_still_away_keeps_the_spool(fake_es, es_store):
    server = fake_es(listen=False)
    store = es_store(server)
    store.write(factories(2))
    assert store.replay_spool() == 0
    assert store.spool.pending()


def test_a_spooled_batch_that_the_server_already_had_replays_as_duplicates(fake_es, es_store):
    server = fake_es()
    server.on("PUT", r"/_bulk", error_reply(401, "security_exception"), bulk_reply(409))
    store = es_store(server)
    messages = factories(2)
    assert store.write(messages) == WriteResult(inserted=2, duplicates=0)  # spooled
    assert store.spool.pending()
    assert store.replay_spool() == 2
    assert not store.spool.pending()


def test_a_spool_segment_the_server_rejects_as_malformed_is_set_aside(fake_es, es_store):
    server = fake_es()
    server.on("PUT", r"/_bulk", Reply(503, {"error": "down"}), error_reply(400, "parse_exception"))
    store = es_store(server, max_retries=0)
    store.write(factories(1))
    assert store.spool.pending()
    assert store.replay_spool() == 0
    assert not store.spool.pending()
    assert (store.spool.directory / "rejected.jsonl").read_text().count("\n") == 1


def test_an_empty_batch_sends_nothing(fake_es, es_store):
    server = fake_es()
    assert es_store(server).write([]) == WriteResult(inserted=0, duplicates=0)
    assert server.requests == []


def test_replays_back_off_while_the_cluster_keeps_failing(fake_es, es_store):
    server = fake_es()
    server.on("PUT", r"/_bulk", error_reply(503, "unavailable_shards_exception"))
    store = es_store(server, max_retries=0, replay_every=10.0)
    store.write(factories(1))  # fails, spooled
    store.write(factories(1, factory="f2.example"))  # one replay attempt, fails, spooled
    store.write(factories(1, factory="f3.example"))  # inside the back-off: spooled directly
    assert len(server.seen("PUT", r"/_bulk")) == 2
    assert store.spooled_total == 3


def test_a_bulk_answer_that_does_not_match_the_request_spools_the_batch(fake_es, es_store):
    server = fake_es()
    server.on(
        "PUT",
        r"/_bulk",
        Reply(body={"errors": False, "items": [{"create": {"_id": "nope", "status": 201}}]}),
    )
    store = es_store(server)
    assert store.write(factories(1)) == WriteResult(inserted=1, duplicates=0)
    assert store.spooled_total == 1
