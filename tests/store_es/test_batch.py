"""How a search in a batch is written into an `_msearch` and read back out of its answer
(`vacmon.store.es.batch`): pure, no cluster."""

from __future__ import annotations

from vacmon.store.es.batch import answer_of, msearch_lines


def test_a_search_is_split_into_its_msearch_header_and_body():
    lines = msearch_lines(
        {
            "index": "vacmon-latest",
            "ignore_unavailable": True,
            "size": 5,
            "source": {"includes": ["site"]},
            "from_": 10,
            "query": {"match_all": {}},
        }
    )

    assert lines == (
        {"index": "vacmon-latest", "ignore_unavailable": True},
        {"size": 5, "_source": {"includes": ["site"]}, "from": 10, "query": {"match_all": {}}},
    )


def test_a_filter_path_is_left_out_for_the_whole_answer_every_parser_reads():
    header, body = msearch_lines({"index": "i", "filter_path": ["hits.hits._id"], "size": 0}) or (
        {},
        {},
    )

    assert (header, body) == ({"index": "i"}, {"size": 0})


def test_a_search_with_a_parameter_an_msearch_cannot_carry_is_not_batched():
    assert msearch_lines({"index": "i", "rest_total_hits_as_int": True}) is None


def test_an_item_that_is_an_error_is_no_answer():
    assert answer_of({"error": {"type": "index_not_found_exception"}, "status": 404}) is None
    assert answer_of({"status": 429, "hits": {}}) is None
    assert answer_of("garbage") is None


def test_an_item_that_is_an_answer_is_the_answer():
    item = {"took": 1, "hits": {"hits": []}, "status": 200}

    assert answer_of(item) is item
