"""The latest-state index's pure parts: versions that order a sender's messages as the
embedded store does, one write per sender of a batch, and reading the state document."""

from __future__ import annotations

import pytest

from tests.builders import factory_status, machine_status, machinetype_status
from vacmon.store.base import Scope
from vacmon.store.es import builders, latest

T = 1_767_225_600


def test_versions_order_messages_by_time_sent_then_time_received():
    ordered = [
        factory_status(received=T + 50, sent=T - 10),
        factory_status(received=T, sent=T),
        factory_status(received=T + 1, sent=T),
        factory_status(received=T + 30 * 86400, sent=T),  # late by a month
        factory_status(received=T + 2, sent=T + 1),
    ]
    versions = [latest.version(m) for m in ordered]
    assert versions == sorted(versions)
    assert len(set(versions)) == len(versions)


def test_a_message_received_slightly_before_its_stated_send_time_still_orders():
    early = factory_status(received=T, sent=T + 60)  # inside the skew window
    later = factory_status(received=T + 61, sent=T + 60)
    assert early.skewed is False
    assert latest.version(early) < latest.version(later)


def test_a_message_sent_from_far_ahead_has_no_version():
    ahead = factory_status(received=T, sent=T + 10 * 86400)
    assert ahead.skewed
    assert latest.version(ahead) is None
    assert list(latest.actions("vacmon-", [ahead])) == []


def test_a_batch_gives_one_write_per_sender_its_newest_message():
    a_old = factory_status(received=T, running_processors=1)
    a_new = factory_status(received=T + 300, running_processors=2)
    a_tie = factory_status(received=T + 300, running_processors=3)  # same times, later
    b = factory_status(received=T, factory="b.example.org")
    mt = machinetype_status(received=T)
    machine = machine_status(received=T)

    chosen = latest.newest([a_new, a_old, b, a_tie, mt, machine])

    assert chosen == [a_tie, b, mt]  # machines have no latest state here


def test_a_write_is_an_external_gte_index_of_the_whole_document():
    m = machinetype_status(received=T)
    (action,) = latest.actions("vacmon-", [m])
    assert action == {
        "_op_type": "index",
        "_index": "vacmon-latest",
        "_id": latest.doc_id(m),
        "_version": latest.version(m),
        "_version_type": "external_gte",
        "_source": latest.document(builders.document(m)),
    }
    # The envelope and the raw copy a read rebuilds the message from, not the typed copies
    # of the figures the streams index for aggregations.
    assert set(action["_source"]) == set(latest.KEPT)
    assert action["_source"]["raw"] == builders.document(m)["raw"]


def test_senders_get_distinct_ids_of_fixed_length_whatever_their_names():
    long = factory_status(received=T, factory="f" * 600 + ".example.org")
    ids = {
        latest.doc_id(m)
        for m in (
            factory_status(received=T),
            factory_status(received=T, factory="f2.example.ac.uk"),
            machinetype_status(received=T),
            machinetype_status(received=T, machinetype="atlas"),
            long,
        )
    }
    assert len(ids) == 5
    assert {len(i) for i in ids} == {32}


def test_the_first_page_asks_for_the_state_document_and_later_ones_do_not():
    first = latest.read_query("factory_status", since=T, scope=Scope(site="S"), fields=None)
    later = latest.read_query(
        "factory_status", since=T, scope=Scope(site="S"), fields=None, after=["S", "sp", "f"]
    )
    assert {"ids": {"values": [latest.STATE_ID]}} in first["query"]["bool"]["should"]
    assert "ids" not in str(later["query"])
    assert later["search_after"] == ["S", "sp", "f"]
    # The state document has no site: sorted first, it is on the first page.
    assert first["sort"][0] == {"site": {"order": "asc", "missing": "_first"}}


def hit(message):
    doc = latest.document(builders.document(message))
    return {"_id": latest.doc_id(message), "_source": doc, "sort": [message.site]}


STATE_CLEAN = {"_id": latest.STATE_ID, "_source": {"dirty_since": None}, "sort": [None]}


def test_a_clean_first_page_gives_the_senders_and_where_to_continue():
    m = factory_status(received=T)
    page = latest.read_page({"hits": {"hits": [STATE_CLEAN, hit(m)]}}, first=True, projected=False)
    assert page == ([m], [m.site])


@pytest.mark.parametrize(
    "hits",
    [
        [],  # no state document: the index was never built
        [hit(factory_status(received=T))],
        [{"_id": latest.STATE_ID, "_source": {"dirty_since": 0}}],
    ],
    ids=["empty", "no-state", "dirty"],
)
def test_a_first_page_without_a_clean_state_sends_the_read_elsewhere(hits):
    assert latest.read_page({"hits": {"hits": hits}}, first=True, projected=False) is None


def test_a_missing_state_counts_as_dirty_since_zero():
    assert latest.dirty_since_of(None) == 0
    assert latest.dirty_since_of({"dirty_since": None}) is None
    assert latest.dirty_since_of({"dirty_since": 5}) == 5


def test_both_message_types_map_every_shared_field_the_same_way():
    properties = latest.template_body("vacmon-")["template"]["mappings"]["properties"]
    assert properties["dirty_since"] == {"type": "long"}
    assert properties["raw"] == {"type": "object", "enabled": False}
    assert "machinetype" in properties and "vo" in properties and "site" in properties
    assert "running_processors" not in properties
