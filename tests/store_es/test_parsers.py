from __future__ import annotations

import pytest

from tests import samples
from tests.store_es.messages import sample
from vacmon.store.base import EntityBuckets, FactoryRef, MachinetypeRef
from vacmon.store.es import builders, parsers


def hit(message, sort=None):
    source = {k: v for k, v in builders.document(message).items() if k in builders.SOURCE_FIELDS}
    out = {"_id": builders.doc_id(message), "_source": source}
    if sort is not None:
        out["sort"] = sort
    return out


def composite(buckets, after=None):
    agg = {"buckets": buckets}
    if after is not None:
        agg["after_key"] = after
    return {"hits": {"hits": []}, "aggregations": {"entities": agg}}


@pytest.mark.parametrize("text", samples.ALL)
def test_a_stored_document_reads_back_as_the_message_that_was_written(text):
    message = sample(text)
    assert parsers.message_from_source(hit(message)["_source"]) == message


def test_a_document_without_its_raw_copy_is_an_unexpected_response():
    source = builders.document(sample())
    del source["raw"]
    with pytest.raises(parsers.UnexpectedResponse):
        parsers.message_from_source(source)


def test_a_spool_record_that_is_not_a_message_is_refused():
    with pytest.raises(ValueError):
        parsers.message_from_record("[1, 2]")
    with pytest.raises(ValueError):
        parsers.message_from_record('{"colour": "red"}')


def test_the_latest_page_gives_each_top_hit_and_the_next_key():
    a, b = sample(factory="a.example"), sample(factory="b.example")
    body = composite(
        [
            {"key": {"factory": f}, "newest": {"hits": {"hits": [hit(m)]}}}
            for f, m in (("a", a), ("b", b))
        ],
        after={"factory": "b"},
    )
    messages, after = parsers.latest_page(body)
    assert messages == [a, b]
    assert after == {"factory": "b"}


def test_an_empty_composite_page_ends_paging_even_with_an_after_key():
    assert parsers.latest_page(composite([], after={"x": 1})) == ([], None)


def test_a_search_on_a_stream_not_yet_created_reads_as_empty():
    assert parsers.latest_page({"hits": {"hits": []}}) == ([], None)


def test_a_response_without_the_requested_aggregation_is_unexpected():
    with pytest.raises(parsers.UnexpectedResponse):
        parsers.latest_page({"aggregations": {"other": {}}})


def test_the_history_page_keys_hits_by_id_and_returns_the_last_sort():
    a, b = sample(time_sent=2), sample(time_sent=1)
    page, last = parsers.history_page(
        {"hits": {"hits": [hit(a, [9, 2, "x"]), hit(b, [8, 1, "y"])]}}
    )
    assert page == [(builders.doc_id(a), a), (builders.doc_id(b), b)]
    assert last == [8, 1, "y"]


def test_the_factories_page_turns_the_max_timestamp_into_seconds():
    body = composite(
        [{"key": {"site": "S", "space": "sp", "factory": "f"}, "last": {"value": 1543000003000.0}}]
    )
    refs, _ = parsers.factories_page(body)
    assert refs == [FactoryRef(site="S", space="sp", factory="f", last_seen=1543000003)]


def test_the_machinetypes_page_keeps_a_missing_vo_as_none():
    body = composite(
        [
            {
                "key": {"site": "S", "space": "sp", "factory": "f", "machinetype": "m", "vo": None},
                "last": {"value": 1543000003000.0},
            }
        ]
    )
    refs, _ = parsers.machinetypes_page(body)
    assert refs == [MachinetypeRef("S", "sp", "f", "m", None, 1543000003)]


def slot(start, total, samples_, metric="running_processors"):
    return {
        "key": start * 1000,
        f"sum_{metric}": {"value": total},
        f"n_{metric}": {"value": samples_},
    }


def test_buckets_average_per_bucket_skip_empty_ones_and_carry_the_last_earlier_one():
    acc = parsers.BucketAccumulator(("site", "space", "factory"), "site", ("running_processors",))
    key = {"site": "S", "space": "sp", "factory": "f"}
    body = composite(
        [
            {
                "key": key,
                "t": {"buckets": [slot(600, 10.0, 2), slot(900, 0.0, 0), slot(1200, 9.0, 3)]},
            }
        ]
    )
    assert acc.add_page(body) is None
    assert acc.result(since=1000, interval=300)["running_processors"] == [
        EntityBuckets(
            group="S", entity=("S", "sp", "f"), averages={1200: 3.0}, last_before=(899, 5.0)
        )
    ]


def test_a_sender_whose_vo_changed_is_merged_and_charted_under_its_newest_vo():
    acc = parsers.BucketAccumulator(
        ("site", "space", "factory", "machinetype"), "vo", ("running_processors",)
    )
    entity = {"site": "S", "space": "sp", "factory": "f", "machinetype": "m"}
    body = composite(
        [
            {"key": {**entity, "vo": None}, "t": {"buckets": [slot(0, 4.0, 1), slot(60, 2.0, 1)]}},
            {
                "key": {**entity, "vo": "lhcb"},
                "t": {"buckets": [slot(60, 4.0, 1), slot(120, 1.0, 1)]},
            },
        ],
        after={"vo": "lhcb"},
    )
    assert acc.add_page(body) == {"vo": "lhcb"}
    (result,) = acc.result(since=0, interval=60)["running_processors"]
    assert result.group == "lhcb"
    assert result.averages == {0: 4.0, 60: 3.0, 120: 1.0}


def test_a_missing_group_value_is_charted_as_unknown():
    acc = parsers.BucketAccumulator(("site",), "vo", ("running_processors",))
    acc.add_page(composite([{"key": {"site": "S", "vo": None}, "t": {"buckets": [slot(0, 1, 1)]}}]))
    assert acc.result(since=0, interval=60)["running_processors"][0].group == "unknown"


def test_metrics_read_together_are_averaged_each_on_its_own_samples():
    acc = parsers.BucketAccumulator(("site",), "site", ("load_average", "running_processors"))
    one = {**slot(0, 3.0, 2, "load_average"), **slot(0, 10.0, 1)}
    two = {**slot(60, 0.0, 0, "load_average"), **slot(60, 8.0, 2)}
    acc.add_page(composite([{"key": {"site": "S"}, "t": {"buckets": [one, two]}}]))
    got = acc.result(since=0, interval=60)
    assert got["load_average"][0].averages == {0: 1.5}
    assert got["running_processors"][0].averages == {0: 10.0, 60: 4.0}
    assert acc.filled == 2


def test_a_buckets_page_cut_down_by_filter_path_may_have_no_buckets_at_all():
    acc = parsers.BucketAccumulator(("site",), "site", ("running_processors",))
    assert acc.add_page({}) is None  # no index yet
    assert acc.add_page({"aggregations": {"entities": {}}}) is None
    assert acc.result(since=0, interval=60) == {"running_processors": []}


def test_the_bucket_limit_refusal_is_recognised():
    refusal = {"error": {"caused_by": {"type": "too_many_buckets_exception"}}}
    assert parsers.too_many_buckets(refusal)
    assert not parsers.too_many_buckets({"error": {"type": "parsing_exception"}})


@pytest.mark.parametrize(
    ("ok", "status", "outcome"),
    [
        (True, 201, "inserted"),
        (False, 409, "duplicate"),
        (False, 429, "retry"),
        (False, 503, "retry"),
        (False, 400, "failed"),
    ],
)
def test_bulk_items_are_classified_by_status(ok, status, outcome):
    info = {"_id": "abc", "status": status}
    if not ok:
        info["error"] = {"type": "some_exception", "reason": "because"}
    result = parsers.bulk_item(ok, {"create": info})
    assert (result.doc_id, result.outcome, result.status) == ("abc", outcome, status)
    if not ok:
        assert result.reason == "some_exception: because"


def test_a_bulk_item_from_a_failed_request_keeps_its_message():
    result = parsers.bulk_item(False, {"create": {"_id": "a", "status": 400, "error": "boom"}})
    assert result.reason == "boom"


def test_the_deleted_count_is_read_from_delete_by_query():
    assert parsers.deleted_count({"deleted": 7, "took": 3}) == 7
    with pytest.raises(parsers.UnexpectedResponse):
        parsers.deleted_count({"took": 3})


def test_entities_sort_by_their_fields_as_text():
    a, b = sample(factory="b"), sample(factory="a")
    assert parsers.sort_by_entity([a, b], ("site", "space", "factory")) == [b, a]


def test_server_info_recognises_elasticsearch_by_its_product_header():
    info = parsers.server_info(
        {"X-Elastic-Product": "Elasticsearch"},
        {
            "version": {"number": "8.19.3", "build_flavor": "default"},
            "tagline": "You Know, for Search",
        },
    )
    assert (info.product, info.major, info.product_header) == ("Elasticsearch", 8, True)
    assert parsers.server_problem(info) is None
    assert "8.19.3" in info.describe()


def test_server_info_recognises_opensearch_and_says_it_is_unsupported():
    info = parsers.server_info(
        {}, {"version": {"distribution": "opensearch", "number": "2.15.0"}, "tagline": "x"}
    )
    assert info.product == "OpenSearch"
    assert "OpenSearch 2.15.0" in parsers.server_problem(info)


def test_server_info_says_elasticsearch_7_is_too_old():
    info = parsers.server_info(
        {"x-elastic-product": "Elasticsearch"}, {"version": {"number": "7.17.21"}}
    )
    assert "7.17.21 is too old" in parsers.server_problem(info)


def test_a_server_without_the_product_header_is_not_trusted_as_elasticsearch():
    info = parsers.server_info(
        {}, {"version": {"number": "8.1.0"}, "tagline": "You Know, for Search"}
    )
    assert "X-Elastic-Product" in parsers.server_problem(info)


def test_a_future_major_is_reported_rather_than_assumed_compatible():
    info = parsers.server_info(
        {"x-elastic-product": "Elasticsearch"}, {"version": {"number": "10.0.0"}}
    )
    assert "newer" in parsers.server_problem(info)


def test_a_root_answer_without_a_version_is_unexpected():
    with pytest.raises(parsers.UnexpectedResponse):
        parsers.server_info({}, "<html>proxy login</html>")


def test_template_version_and_retention_are_read_from_get_index_template():
    body = {
        "index_templates": [
            {
                "name": "vacmon-factory_status",
                "index_template": {
                    "version": 1,
                    "template": {"lifecycle": {"data_retention": "30d"}},
                },
            }
        ]
    }
    assert parsers.template_version(body, "vacmon-factory_status") == 1
    assert parsers.template_retention(body, "vacmon-factory_status") == "30d"
    assert parsers.template_version(body, "other") is None
