from __future__ import annotations

import json

import pytest

from tests import samples
from tests.store_es.messages import RECEIVED, sample
from vacmon.store.base import Scope
from vacmon.store.es import builders, parsers


def test_the_document_id_depends_only_on_the_natural_key():
    first = sample()
    again = sample(received=RECEIVED + 60)  # the same message heard a minute later
    other = sample(time_sent=1543000001)
    assert builders.doc_id(first) == builders.doc_id(again)
    assert builders.doc_id(first) != builders.doc_id(other)
    assert len(builders.doc_id(first)) == 24


def test_the_document_id_tells_machinetypes_of_one_factory_apart():
    lhcb = sample(samples.VAC_MACHINETYPE)
    atlas = sample(samples.VAC_MACHINETYPE, machinetype="atlas")
    assert builders.doc_id(lhcb) != builders.doc_id(atlas)


def test_a_document_has_the_receive_time_as_timestamp_and_keeps_time_sent():
    doc = builders.document(sample())
    assert doc["@timestamp"] == RECEIVED * 1000
    assert doc["time_sent"] == 1543000000
    assert doc["key"] == builders.doc_id(sample())


def test_a_document_indexes_known_fields_and_keeps_everything_in_the_raw_copy():
    message = sample(samples.VAC_MACHINETYPE)
    doc = builders.document(message)
    assert doc["vo"] == "lhcb"
    assert doc["running_processors"] == 1
    assert "shutdown_machine" in doc
    assert doc["raw"] == {
        "time_received": RECEIVED,
        "fields": message.fields,
        "extra": message.extra,
    }


def test_a_document_leaves_out_nulls_and_unknown_keys_from_the_indexed_part():
    message = sample(samples.VAC_MACHINE_PUSHED)
    doc = builders.document(message)
    assert "shutdown_message" not in doc  # null on the wire
    assert "shutdown_message" in doc["raw"]["fields"]
    assert doc["machine"] == "vm123-03.tier2.hep.manchester.ac.uk"


def test_a_bulk_action_creates_in_the_data_stream_of_its_type():
    message = sample(samples.VCYCLE_MACHINE)
    action = builders.bulk_action("vacmon-", message)
    assert action["_op_type"] == "create"
    assert action["_index"] == "vacmon-machine_status"
    assert action["_id"] == builders.doc_id(message)
    assert action["_source"] == builders.document(message)


def test_a_spool_record_is_one_json_line_that_reads_back_as_the_same_message():
    message = sample(samples.LEGACY_MACHINETYPE)
    record = builders.spool_record(message)
    assert "\n" not in record
    assert parsers.message_from_record(record) == message
    assert json.loads(record)["time_received"] == RECEIVED


def test_scope_filters_ignore_what_a_message_type_does_not_carry():
    scope = Scope(site="S", machinetype="lhcb", vo="lhcb", machine="m1")
    assert builders.scope_filters("factory_status", scope) == [{"term": {"site": "S"}}]
    assert {"term": {"machine": "m1"}} not in builders.scope_filters("machinetype_status", scope)
    assert {"term": {"machine": "m1"}} in builders.scope_filters("machine_status", scope)


def test_the_latest_query_pages_composite_buckets_with_the_newest_hit_by_time_sent():
    body = builders.latest_query(
        "machinetype_status", since=100, until=200, scope=Scope(site="S"), after={"site": "a"}
    )
    entities = body["aggs"]["entities"]
    sources = [next(iter(s)) for s in entities["composite"]["sources"]]
    assert sources == ["site", "space", "factory", "machinetype"]
    assert entities["composite"]["after"] == {"site": "a"}
    top = entities["aggs"]["newest"]["top_hits"]
    assert top["size"] == 1
    assert top["sort"] == [{"time_sent": "desc"}, {"@timestamp": "desc"}]
    assert body["query"]["bool"]["filter"][0] == {
        "range": {"@timestamp": {"gte": 100_000, "lte": 200_000}}
    }
    assert body["size"] == 0


def test_the_latest_query_without_until_is_open_ended():
    body = builders.latest_query("factory_status", since=100, until=None, scope=Scope())
    assert body["query"]["bool"]["filter"] == [{"range": {"@timestamp": {"gte": 100_000}}}]


def test_the_history_query_sorts_newest_first_with_a_unique_tiebreak():
    body = builders.history_query(
        "factory_status", since=1, until=2, scope=Scope(), size=50_000, search_after=[3, 2, "k"]
    )
    assert body["sort"] == [{"@timestamp": "desc"}, {"time_sent": "desc"}, {"key": "desc"}]
    assert body["size"] == builders.MAX_WINDOW
    assert body["search_after"] == [3, 2, "k"]


def test_the_machinetypes_query_keeps_senders_without_a_vo():
    body = builders.machinetypes_query(since=10, scope=Scope(site="S"))
    sources = body["aggs"]["entities"]["composite"]["sources"]
    assert [next(iter(s)) for s in sources] == ["site", "space", "factory", "machinetype", "vo"]
    assert sources[-1]["vo"]["terms"]["missing_bucket"] is True


def test_a_latest_query_for_no_fields_fetches_only_the_envelope():
    body = builders.latest_query(
        "machinetype_status", since=1, until=None, scope=Scope(), fields=()
    )
    top = body["aggs"]["entities"]["aggs"]["newest"]["top_hits"]
    assert "raw" not in top["_source"]["includes"]
    assert "raw.time_received" in top["_source"]["includes"]


def test_a_history_query_for_some_fields_fetches_only_those_of_the_raw_copy():
    body = builders.history_query(
        "machine_status", since=1, until=2, scope=Scope(), size=10, fields=["cpu_seconds"]
    )
    includes = body["_source"]["includes"]
    assert "raw" not in includes
    assert {"raw.time_received", "raw.fields.cpu_seconds", "site", "machine"} <= set(includes)
    # The envelope is read once, from the document, not again from the raw copy.
    assert "raw.fields.site" not in includes


def test_a_projected_document_repeats_its_envelope_in_the_fields_as_a_message_does():

    message = sample(running_processors=7)
    doc = builders.document(message)
    source = {k: v for k, v in doc.items() if k in builders.SOURCE_FIELDS and k != "raw"}
    source["raw"] = {"time_received": message.time_received, "fields": {"running_processors": 7}}
    rebuilt = parsers.message_from_source(source, projected=True)
    assert rebuilt.fields == {
        "running_processors": 7,
        **{name: message.fields[name] for name in parsers.ENVELOPE_FIELDS},
    }


def test_the_buckets_query_uses_a_fixed_epoch_aligned_histogram_of_filled_buckets_only():
    body = builders.buckets_query(
        "factory_status",
        ("running_processors",),
        group_by="site",
        since=1000,
        until=4000,
        interval=300,
        scope=Scope(),
        lookback=600,
    )
    entities = body["aggs"]["entities"]
    histogram = entities["aggs"]["t"]["date_histogram"]
    assert histogram == {
        "field": "@timestamp",
        "fixed_interval": "300s",
        "min_doc_count": 1,
    }
    assert entities["aggs"]["t"]["aggs"] == {
        "sum_running_processors": {"sum": {"field": "running_processors"}},
        "n_running_processors": {"value_count": {"field": "running_processors"}},
    }
    filters = body["query"]["bool"]["filter"]
    assert filters[0] == {"range": {"@timestamp": {"gte": 400_000, "lte": 4_000_000}}}
    assert {"exists": {"field": "running_processors"}} in filters


def test_the_buckets_query_reads_several_metrics_from_the_messages_carrying_any():
    body = builders.buckets_query(
        "factory_status",
        ("running_processors", "load_average"),
        group_by="site",
        since=0,
        until=3600,
        interval=60,
        scope=Scope(),
    )
    filters = body["query"]["bool"]["filter"]
    assert filters[1] == {
        "bool": {
            "should": [
                {"exists": {"field": "running_processors"}},
                {"exists": {"field": "load_average"}},
            ]
        }
    }
    assert set(body["aggs"]["entities"]["aggs"]["t"]["aggs"]) == {
        "sum_running_processors",
        "n_running_processors",
        "sum_load_average",
        "n_load_average",
    }


def test_the_buckets_query_adds_the_group_as_a_source_when_it_is_not_the_entity():
    body = builders.buckets_query(
        "machinetype_status",
        ("running_hs06",),
        group_by="vo",
        since=0,
        until=3600,
        interval=60,
        scope=Scope(),
    )
    sources = body["aggs"]["entities"]["composite"]["sources"]
    assert sources[-1] == {"vo": {"terms": {"field": "vo", "missing_bucket": True}}}


def test_the_buckets_page_stays_under_the_bucket_limit():
    size = builders.buckets_page_size(since=0, until=86400 * 7, interval=300, lookback=600)
    assert size * (86400 * 7 // 300 + 2) <= builders.BUCKET_BUDGET
    assert builders.buckets_page_size(since=0, until=600, interval=300, lookback=0) == 1000
    assert builders.buckets_page_size(since=0, until=10**9, interval=1, lookback=0) == 1


def test_later_buckets_pages_are_sized_for_the_buckets_senders_filled():
    worst = builders.buckets_page_size(since=0, until=86400 * 365, interval=86400, lookback=0)
    assert worst == builders.BUCKET_BUDGET // 367
    assert builders.next_page_size(worst, filled=7) == builders.MAX_PAGE
    assert builders.next_page_size(worst, filled=99) == builders.BUCKET_BUDGET // 100
    assert builders.next_page_size(worst, filled=400) == worst


@pytest.mark.parametrize(
    ("message_type", "metric", "group_by"),
    [
        ("factory_status", "uuid", "site"),
        ("factory_status", "running_processors", "vo"),
        ("machine_status", "hs06", "site"),
    ],
)
def test_the_buckets_query_refuses_what_cannot_be_charted(message_type, metric, group_by):
    with pytest.raises(ValueError):
        builders.buckets_query(
            message_type, (metric,), group_by=group_by, since=0, until=1, interval=60, scope=Scope()
        )


def test_the_factories_query_takes_the_newest_receive_time_per_factory():
    body = builders.factories_query(since=5, scope=Scope(space="sp"))
    entities = body["aggs"]["entities"]
    assert entities["aggs"] == {"last": {"max": {"field": "@timestamp"}}}
    assert {"term": {"space": "sp"}} in body["query"]["bool"]["filter"]


def test_the_purge_query_deletes_strictly_before_the_cutoff():
    assert builders.purge_query(10) == {"range": {"@timestamp": {"lt": 10_000}}}
