"""Where a walk over composite pages ends (pure)."""

from __future__ import annotations

from vacmon.store.es.paging import end_short_pages


def request(size=None):
    composite = {"sources": []} if size is None else {"size": size, "sources": []}
    return {"size": 0, "aggs": {"entities": {"composite": composite}}}


def answer(buckets):
    return {"aggregations": {"entities": {"buckets": buckets, "after_key": {"k": len(buckets)}}}}


def test_a_page_with_fewer_buckets_than_its_size_loses_its_after_key():
    got = end_short_pages(request(3), answer([{"key": {"k": 1}}, {"key": {"k": 2}}]))
    assert "after_key" not in got["aggregations"]["entities"]


def test_a_full_page_keeps_its_after_key_so_the_walk_goes_on():
    got = end_short_pages(request(2), answer([{"key": {"k": 1}}, {"key": {"k": 2}}]))
    assert got["aggregations"]["entities"]["after_key"] == {"k": 2}


def test_a_composite_without_a_size_is_measured_against_elasticsearchs_default_of_ten():
    nine = [{"key": {"k": i}} for i in range(9)]
    ten = [*nine, {"key": {"k": 9}}]
    assert "after_key" not in end_short_pages(request(), answer(nine))["aggregations"]["entities"]
    assert "after_key" in end_short_pages(request(), answer(ten))["aggregations"]["entities"]


def test_answers_without_aggregations_and_other_aggregations_are_left_alone():
    no_index = {"hits": {"hits": []}}
    assert end_short_pages(request(5), no_index) == {"hits": {"hits": []}}
    plain = {"size": 0, "aggs": {"last": {"max": {"field": "t"}}}}
    body = {"aggregations": {"last": {"value": 1.0}}}
    assert end_short_pages(plain, body) == {"aggregations": {"last": {"value": 1.0}}}
    # A filter path that cut an empty page down to nothing leaves nothing to change.
    assert end_short_pages(request(5), {}) == {}
