"""The latest-state index's pure rules: which message is a sender's state, and the version
that lets the cluster keep it whatever order writes arrive in."""

from __future__ import annotations

import dataclasses

from tests.builders import factory_status, machinetype_status
from tests.samples import VAC_MACHINE_FINISHED
from tests.store_es.messages import sample
from vacmon.store.base import Scope
from vacmon.store.es import builders, state

T0 = 1_700_000_000
THIRTY_YEARS = 30 * 365 * 86400


def test_a_later_time_sent_has_the_higher_version_whenever_it_was_received():
    early_late = factory_status(received=T0 + 3600, sent=T0)
    later = factory_status(received=T0 + 1, sent=T0 + 1)
    assert state.version(later) > state.version(early_late)


def test_of_two_messages_sent_the_same_second_the_later_received_has_the_higher_version():
    first = factory_status(received=T0, sent=T0)
    again = factory_status(received=T0 + 5, sent=T0)
    assert state.version(again) > state.version(first)


def test_versions_keep_their_order_across_the_normalisers_whole_time_window():
    oldest = factory_status(received=T0, sent=T0 - THIRTY_YEARS)
    skewed_ahead = dataclasses.replace(oldest, time_sent=T0 + 300, time_received=T0)
    pairs = [(oldest.time_sent, T0), (T0 - 1, T0 + 1), (T0, T0), (T0, T0 + 1), (T0 + 300, T0)]
    messages = [dataclasses.replace(oldest, time_sent=s, time_received=r) for s, r in pairs]
    versions = [state.version(m) for m in messages]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert 0 <= state.version(skewed_ahead) < 2**63


def test_times_outside_the_window_are_clamped_into_a_valid_version():
    message = factory_status(received=T0, sent=T0)
    for sent, received in ((-5, T0), (2**40, 0), (0, 2**40)):
        odd = dataclasses.replace(message, time_sent=sent, time_received=received)
        assert 0 <= state.version(odd) < 2**63


def test_a_batch_writes_each_senders_newest_message_once():
    old = machinetype_status(received=T0 + 60, sent=T0)
    new = machinetype_status(received=T0 + 30, sent=T0 + 30)
    other = machinetype_status(received=T0, machinetype="atlas")
    actions = state.actions("vacmon-", [new, old, other])
    assert [a["_source"]["time_sent"] for a in actions] == [T0 + 30, T0]
    assert {a["_index"] for a in actions} == {"vacmon-latest-machinetype_status"}
    assert all(a["version_type"] == "external_gte" for a in actions)
    assert actions[0]["_id"] == state.sender_id(old) != actions[1]["_id"]
    assert actions[0]["_source"] == builders.document(new)


def test_machines_and_messages_from_the_future_have_no_state():
    machine = sample(VAC_MACHINE_FINISHED)
    ahead = factory_status(received=T0, sent=T0 + 3600)
    assert ahead.skewed
    assert state.actions("vacmon-", [machine, ahead]) == []


def test_one_sender_has_one_id_and_senders_differing_only_in_one_name_do_not_share_it():
    a = factory_status(received=T0, factory="f1")
    assert state.sender_id(a) == state.sender_id(factory_status(received=T0 + 60, factory="f1"))
    assert state.sender_id(a) != state.sender_id(factory_status(received=T0, factory="f2"))
    assert state.sender_id(a) != state.sender_id(factory_status(received=T0, space="other"))


def test_a_states_page_filters_on_receive_time_and_scope_and_sorts_by_sender():
    body = state.states_query(
        "machinetype_status",
        since=T0,
        scope=Scope(site="S", vo="lhcb"),
        source=state.SENDER_SOURCE,
        search_after=["S", "sp", "f", "lhcb"],
    )
    filters = body["query"]["bool"]["filter"]
    assert filters[0] == {"range": {"@timestamp": {"gte": T0 * 1000}}}
    assert {"term": {"vo": "lhcb"}} in filters and {"term": {"site": "S"}} in filters
    assert body["sort"] == [
        {"site": "asc"},
        {"space": "asc"},
        {"factory": "asc"},
        {"machinetype": "asc"},
    ]
    assert body["search_after"] == ["S", "sp", "f", "lhcb"]


def test_the_index_template_gives_each_state_index_its_raw_streams_mapping():
    from vacmon.store.es import templates

    body = state.index_template("vacmon-", "factory_status")
    assert body["index_patterns"] == ["vacmon-latest-factory_status"]
    assert body["template"]["mappings"] == templates.mappings("factory_status")
    assert "data_stream" not in body
