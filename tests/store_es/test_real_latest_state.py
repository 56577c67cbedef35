"""The latest-state indices on a real cluster: kept whatever order writes arrive in, built
from the raw streams on a cluster that had none, and given up for the raw streams whenever
a state may be missing, until maintenance rebuilds them."""

from __future__ import annotations

import pytest

from tests.builders import factory_status, machinetype_status
from vacmon.store import Scope
from vacmon.store.es import state
from vacmon.store.es.state_index import StateIndex

pytestmark = [pytest.mark.elasticsearch, pytest.mark.django_db]

T0 = 1_767_225_600
SINCE = T0 - 86400


def states(store, message_type="machinetype_status"):
    """(name, time_sent) of each sender's state document itself."""
    answer = store.client.search(
        index=state.index_name(store.prefix, message_type),
        query={"exists": {"field": "site"}},
        size=100,
    )
    return sorted(
        (
            hit["_source"].get("machinetype") or hit["_source"]["factory"],
            hit["_source"]["time_sent"],
        )
        for hit in answer.body["hits"]["hits"]
    )


def latest_sent(store, message_type="machinetype_status"):
    found = store.latest(message_type, since=SINCE, scope=Scope())
    return [(m.machinetype or m.factory, m.time_sent) for m in found]


def test_a_message_written_after_a_newer_one_does_not_replace_its_senders_state(make_es_store):
    store = make_es_store()
    store.write([machinetype_status(received=T0 + 60, sent=T0 + 60, running_processors=7)])
    store.write([machinetype_status(received=T0 + 90, sent=T0, running_processors=3)])
    store.write([machinetype_status(received=T0 + 95, sent=T0 + 60, machinetype="atlas")])

    assert store.state.built()
    assert states(store) == [("atlas", T0 + 60), ("lhcb", T0 + 60)]
    (lhcb,) = store.latest("machinetype_status", since=SINCE, scope=Scope(machinetype="lhcb"))
    assert lhcb.fields["running_processors"] == 7


def test_a_cluster_without_state_indices_reads_raw_until_maintenance_builds_them(make_es_store):
    old = make_es_store()
    messages = [
        machinetype_status(received=T0 + 10 * i, sent=T0 + 10 * i, machinetype=mt)
        for i in range(3)
        for mt in ("lhcb", "atlas")
    ] + [machinetype_status(received=T0 + 100, sent=T0 - 50, machinetype="lhcb")]
    old.write(messages)
    old.write([factory_status(received=T0, factory="f1")])
    expected = latest_sent(old)
    # What a cluster written by a version without latest-state indices holds.
    for name in old.state.names():
        old.client.indices.delete(index=name)
    upgraded = make_es_store(prefix=old.prefix)
    upgraded.write([factory_status(received=T0 + 5, factory="f2")])

    assert not upgraded.state.built()
    assert latest_sent(upgraded) == expected
    assert [f.factory for f in upgraded.factories(since=SINCE)] == ["f1", "f2"]

    upgraded.maintain(T0 + 3600)

    assert upgraded.state.built()
    assert states(upgraded) == [("atlas", T0 + 20), ("lhcb", T0 + 20)]
    assert latest_sent(upgraded) == expected
    assert [f.factory for f in upgraded.factories(since=SINCE)] == ["f1", "f2"]


def refuse_states(store, message_type="factory_status"):
    """Make the cluster refuse every state document of `message_type` for good (a mapping
    that cannot take a site name), while the raw stream still takes the messages."""
    index = state.index_name(store.prefix, message_type)
    built = store.client.exists(index=index, id=state.BUILT_ID).body
    store.client.indices.delete(index=index)
    store.client.indices.create(
        index=index, mappings={"dynamic": False, "properties": {"site": {"type": "long"}}}
    )
    if built:
        store.client.index(index=index, id=state.BUILT_ID, document={}, refresh=True)


def accept_states(store, message_type="factory_status"):
    """Delete the refusing index: the next write makes it again from its template."""
    store.client.indices.delete(index=state.index_name(store.prefix, message_type))


def test_states_the_cluster_refuses_send_reads_back_to_the_raw_streams(make_es_store):
    store = make_es_store()
    store.write([factory_status(received=T0, factory="f1")])
    refuse_states(store)
    assert StateIndex(store.client, store.prefix).built()

    result = store.write([factory_status(received=T0 + 60, factory="f1")])

    assert result.inserted == 1  # the raw message is stored and counted all the same
    assert store.state_failures_total == 1
    # Every reader (another StateIndex is another process) reads the raw streams again.
    assert not store.state.built() and not StateIndex(store.client, store.prefix).built()
    assert [m.time_sent for m in store.latest("factory_status", since=SINCE)] == [T0 + 60]

    accept_states(store)
    store.maintain(T0 + 3600)

    assert store.state.built()
    assert states(store, "factory_status") == [("f1", T0 + 60)]
    assert [m.time_sent for m in store.latest("factory_status", since=SINCE)] == [T0 + 60]


def test_a_resent_batch_writes_the_states_the_first_send_could_not(make_es_store):
    store = make_es_store()
    store.write([factory_status(received=T0, factory="f0")])
    message = factory_status(received=T0, factory="f1")
    refuse_states(store)
    store.write([message])
    accept_states(store)

    result = store.write([message])

    assert (result.inserted, result.duplicates) == (0, 1)
    assert states(store, "factory_status") == [("f1", T0)]


def test_purging_old_states_forgets_those_received_before_and_keeps_the_rest(make_es_store):
    store = make_es_store()
    store.write([factory_status(received=T0, factory="old")])
    store.write([factory_status(received=T0 + 3600, factory="new")])

    store.state.purge(T0 + 1800)

    assert states(store, "factory_status") == [("new", T0 + 3600)]
    assert [f.factory for f in store.factories(since=0)] == ["new"]
