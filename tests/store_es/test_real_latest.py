"""The latest-state index on a real cluster: each sender's newest message, whatever order
the writes come in, read in one search; and reads from the raw messages whenever the index
may not hold every sender's newest message (a cluster an older VacMon wrote to, a refused
write), until `maintain` has rebuilt it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import factory_status, machinetype_status
from vacmon.store import Scope
from vacmon.store.es import latest, parsers

pytestmark = pytest.mark.elasticsearch

T = 1_767_225_600  # 2026-01-01T00:00:00Z


def state(store: Any) -> dict[str, Any]:
    store.client.indices.refresh(index=store.latest_index.index)
    return store.client.get(index=store.latest_index.index, id=latest.STATE_ID).body["_source"]


def read_from_index(store: Any, message_type: str, since: int = 0) -> Any:
    return store.latest_index.read(message_type, since=since, scope=Scope(), fields=None)


def fleet() -> list[Any]:
    out = []
    for f in range(3):
        for k in range(4):
            where = {"factory": f"f{f}.example.org", "received": T + 300 * k + f}
            out.append(factory_status(running_processors=10 * f + k, **where))
            out.append(machinetype_status(running_processors=f + k, **where))
    return out


def test_the_newest_message_of_each_sender_wins_whatever_order_the_writes_come_in(
    make_es_store,
):
    store = make_es_store()
    old = factory_status(received=T, running_processors=1)
    new = factory_status(received=T + 300, running_processors=2)
    store.write([new])
    store.write([old])  # late: an older message must not replace the newer state

    (found,) = store.latest("factory_status", since=T - 3600)

    assert found == new
    assert read_from_index(store, "factory_status") == [new]
    assert state(store)["dirty_since"] is None


def test_a_message_sent_at_the_same_time_but_received_later_replaces_the_state(make_es_store):
    store = make_es_store()
    first = machinetype_status(received=T + 10, sent=T, running_processors=1)
    again = machinetype_status(received=T + 70, sent=T, running_processors=2)
    store.write([first])
    store.write([again])
    store.write([first])  # a duplicate of the older one changes nothing

    assert store.latest("machinetype_status", since=T - 3600) == [again]


def test_within_one_batch_the_newest_message_of_a_sender_is_its_state(make_es_store):
    store = make_es_store()
    messages = [factory_status(received=T + 300 * k, running_processors=k) for k in (2, 0, 3, 1)]
    store.write(messages)
    assert read_from_index(store, "factory_status") == [messages[2]]


def test_reads_of_the_index_equal_reads_of_the_raw_messages(make_es_store):
    store = make_es_store()
    store.write(fleet())
    for message_type in latest.TYPES:
        for since in (0, T + 600, T + 901):
            for fields in (None, ("running_processors",)):
                from_index = store.latest(message_type, since=since, fields=fields)
                # `until` sends the read to the raw messages, whatever the index holds.
                from_raw = store.latest(message_type, since=since, until=T + 86400, fields=fields)
                assert from_index == from_raw, (message_type, since, fields)
    assert len(store.latest("machinetype_status", since=0)) == 3


def senders_from_index(store: Any, message_type: str, since: int = 0) -> Any:
    parse = (
        parsers.factories_page if message_type == "factory_status" else parsers.machinetypes_page
    )
    return store.latest_index.senders(message_type, since=since, scope=Scope(), parse=parse)


def test_the_sender_lists_are_read_from_the_index_as_from_the_raw_messages(make_es_store):
    store = make_es_store()
    store.write(fleet())
    for since in (0, T + 600, T + 901):
        for scope in (Scope(), Scope(factory="f1.example.org"), Scope(vo="no-such-vo")):
            factories = store.factories(since=since, scope=scope)
            machinetypes = store.machinetypes(since=since, scope=scope)
            assert senders_from_index(store, "factory_status", since) is not None
            store.latest_index.mark_dirty(0)  # the raw messages answer while dirty
            state(store)
            assert senders_from_index(store, "factory_status", since) is None
            assert store.factories(since=since, scope=scope) == factories, (since, scope)
            assert store.machinetypes(since=since, scope=scope) == machinetypes, (since, scope)
            store.maintain(T + 86400)
    assert len(store.factories(since=0)) == 3 and len(store.machinetypes(since=0)) == 3


def test_a_cluster_written_before_the_index_existed_reads_raw_messages_until_it_is_built(
    make_es_store,
):
    store = make_es_store()
    messages = fleet()
    store.write(messages)
    expected = store.latest("machinetype_status", since=0)
    # What a cluster written to by an older VacMon looks like: no latest-state index.
    store.client.indices.delete(index=store.latest_index.index)
    upgraded = make_es_store(prefix=store.prefix)

    assert read_from_index(upgraded, "machinetype_status") is None
    assert upgraded.latest("machinetype_status", since=0) == expected

    upgraded.write([factory_status(received=T + 5000, factory="new.example.org")])
    assert state(upgraded)["dirty_since"] == 0  # made over raw messages: to be built
    assert read_from_index(upgraded, "machinetype_status") is None

    upgraded.maintain(T + 6000)

    assert state(upgraded)["dirty_since"] is None
    assert read_from_index(upgraded, "machinetype_status") == expected
    assert len(read_from_index(upgraded, "factory_status")) == 4


def test_a_latest_state_the_cluster_refuses_sends_reads_to_the_raw_messages_until_rebuilt(
    make_es_store, monkeypatch
):
    store = make_es_store()
    store.write(fleet())
    newer = factory_status(received=T + 7200, factory="f1.example.org", running_processors=99)
    real_actions = latest.actions

    def unmappable(prefix: str, messages: Any, documents: Any = None) -> Any:
        for action in real_actions(prefix, messages, documents):
            action["_source"] = {**action["_source"], "@timestamp": "not a time"}
            yield action

    monkeypatch.setattr(latest, "actions", unmappable)
    assert store.write([newer]).inserted == 1  # the message itself is stored
    monkeypatch.setattr(latest, "actions", real_actions)

    assert state(store)["dirty_since"] == newer.time_received
    assert read_from_index(store, "factory_status") is None
    by_factory = {m.factory: m for m in store.latest("factory_status", since=0)}
    assert by_factory["f1.example.org"] == newer  # from the raw messages

    store.maintain(T + 8000)

    assert state(store)["dirty_since"] is None
    assert newer in read_from_index(store, "factory_status")


def test_a_state_marked_again_while_rebuilt_stays_dirty_for_the_next_run(make_es_store):
    store = make_es_store()
    store.write(fleet())
    index = store.latest_index
    index.mark_dirty(T)
    store.client.indices.refresh(index=index.index)
    real_set_state = index._set_state
    calls = []

    def marked_meanwhile(dirty_since: Any, found: Any = None) -> None:
        if not calls:
            calls.append(dirty_since)
            index.mark_dirty(T - 300)  # a refused write while the rebuild ran
        real_set_state(dirty_since, found)

    index._set_state = marked_meanwhile  # type: ignore[method-assign]
    store.maintain(T + 8000)
    index._set_state = real_set_state  # type: ignore[method-assign]

    assert state(store)["dirty_since"] == T - 300
    store.maintain(T + 8000)
    assert state(store)["dirty_since"] is None


def test_a_message_sent_from_far_ahead_never_becomes_the_latest_state(make_es_store):
    store = make_es_store()
    now = factory_status(received=T, running_processors=1)
    ahead = factory_status(received=T + 60, sent=T + 10 * 86400, running_processors=2)
    store.write([now, ahead])
    assert store.latest("factory_status", since=0) == [now]
