"""A message the store can never take costs exactly itself: it is quarantined with its
bytes and reason, counted, and every other message (its batch, and what comes after) is
stored. A transient store error is retried without holding the write lock."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import orjson
import pytest
from django.db import OperationalError

from factories.messages import normalise as real_normalise
from tests import samples
from vacmon.ingest.counters import Counters, read_all
from vacmon.ingest.pipeline import BatchWriter, Parser
from vacmon.ingest.udp import UdpListener, open_socket
from vacmon.models import QuarantinedMessage
from vacmon.store import get_store
from vacmon.store.base import WriteResult

pytestmark = pytest.mark.django_db(transaction=True)

DEPTH = 1010


def deep_datagram(factory: str = "poison.example") -> bytes:
    """The datagram from issue 13: an unknown key holding 1,010 nested arrays."""
    nested = b"[" * DEPTH + b"]" * DEPTH
    head = b'{"message_type":"factory_status","space":"p.sp","factory":"%s","time_sent":%d'
    return head % (factory.encode(), int(time.time())) + b',"x":' + nested + b"}"


def factory_datagram(name: str, sent: int | None = None) -> bytes:
    body = json.loads(samples.VAC_FACTORY)
    body.update(factory=name, time_sent=sent or int(time.time()))
    return json.dumps(body).encode()


@pytest.fixture
def no_parse_limits(monkeypatch):
    """The deep structure reaches the store even where the parser would refuse it: what
    is under test is the store path's answer to a message it cannot write."""
    import vacmon.ingest.pipeline as pipeline

    def lenient(obj, **kwargs):
        deep = obj.pop("x", None)
        message = real_normalise(obj, **kwargs)
        if deep is not None:
            message.extra["x"] = deep
        return message

    monkeypatch.setattr(pipeline, "decode_datagram", orjson.loads)
    monkeypatch.setattr(pipeline, "normalise", lenient)


def stored_factories() -> set[str]:
    return {m.factory for m in get_store().latest("factory_status", since=0)}


def test_the_deep_datagram_costs_only_itself_through_the_real_listener(no_parse_limits):
    from vacmon.ingest.workers import WorkerPool

    pool = WorkerPool(2, lambda: get_store().write, batch_size=50)
    listener = UdpListener(open_socket("127.0.0.1", 0, 1 << 22), pool)
    port = listener.address[1]
    pool.start()
    thread = threading.Thread(target=listener.serve)
    thread.start()
    poison = deep_datagram()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            # The workers are up and writing first: the 2 s are the poison's cost alone.
            client.sendto(factory_datagram("warm.example"), ("127.0.0.1", port))
            started = time.monotonic()
            while "warm.example" not in stored_factories() and time.monotonic() - started < 30:
                time.sleep(0.02)
            client.sendto(poison, ("127.0.0.1", port))
            time.sleep(0.1)
            sent = time.monotonic()
            client.sendto(factory_datagram("canary.example"), ("127.0.0.1", port))
            while "canary.example" not in stored_factories() and time.monotonic() - sent < 2:
                time.sleep(0.02)
            assert "canary.example" in stored_factories(), "the canary was not stored in 2 s"
    finally:
        listener.stop()
        thread.join(5)
        pool.stop(30)
    (kept,) = QuarantinedMessage.objects.all()
    assert bytes(kept.raw) == poison
    assert kept.reason == "unstorable" and "RecursionError" in kept.detail
    assert (kept.channel, kept.factory) == ("udp", "poison.example")
    assert read_all()[("udp", "rejected", "unstorable")] == 1
    assert stored_factories() == {"warm.example", "canary.example"}


def test_a_poison_message_in_the_middle_of_a_batch_leaves_the_rest_stored(no_parse_limits):
    counters = Counters()
    writer = BatchWriter(Parser(counters, "udp"), get_store().write)
    now = time.time()
    for i in range(40):
        writer.submit(factory_datagram(f"a{i}.example"), "192.0.2.1", now)
    writer.submit(deep_datagram(), "192.0.2.66", now)
    for i in range(40):
        writer.submit(factory_datagram(f"b{i}.example"), "192.0.2.1", now)

    assert writer.flush_once() == 80

    assert len(stored_factories()) == 80
    assert counters.total("udp", "accepted") == 80
    assert counters.total("udp", "rejected", "unstorable") == 1
    assert QuarantinedMessage.objects.get().source == "192.0.2.66"


def recording_lock(events: list[str]):
    """A write lock that notes when it is taken and let go."""

    @contextlib.contextmanager
    def lock():
        events.append("lock")
        yield
        events.append("unlock")

    return lock


def test_a_poison_message_that_breaks_preparing_the_batch_costs_only_itself(no_parse_limits):
    # The deep message fails already where the rows are built, before the write lock; the
    # batch is then written unprepared and the poison split finds it.
    counters = Counters()
    store = get_store()
    writer = BatchWriter(Parser(counters, "udp"), store.write, prepare=store.prepare)
    now = time.time()
    for i in range(20):
        writer.submit(factory_datagram(f"a{i}.example"), "192.0.2.1", now)
    writer.submit(deep_datagram(), "192.0.2.66", now)

    assert writer.flush_once() == 20

    assert len(stored_factories()) == 20
    assert counters.total("udp", "rejected", "unstorable") == 1
    assert QuarantinedMessage.objects.get().source == "192.0.2.66"


def test_a_batch_is_prepared_before_the_write_lock_is_taken_and_written_as_prepared():
    events: list[str] = []
    prepared: list[object] = []
    lock = recording_lock(events)

    def prepare(messages):
        events.append("prepare")
        batch = get_store().prepare(messages)
        prepared.append(batch)
        return batch

    def write(messages):
        events.append("write")
        assert messages is prepared[0]
        return get_store().write(messages)

    writer = BatchWriter(Parser(Counters(), "udp"), write, lock=lock, prepare=prepare)
    for i in range(3):
        writer.submit(factory_datagram(f"p{i}.example"), "192.0.2.1", time.time())

    assert writer.flush_once() == 3

    assert events == ["prepare", "lock", "write", "unlock"]
    assert stored_factories() == {"p0.example", "p1.example", "p2.example"}


def test_a_transient_error_is_retried_with_the_write_lock_let_go(monkeypatch):
    import vacmon.ingest.batch as batch

    events: list[str] = []
    lock = recording_lock(events)

    def locked_once(messages):
        if "retry" not in events:
            events.append("retry")
            raise OperationalError("database is locked")
        return WriteResult(inserted=len(messages), duplicates=0)

    monkeypatch.setattr(batch.time, "sleep", lambda s: events.append("sleep"))
    counters = Counters()
    writer = BatchWriter(Parser(counters, "udp"), locked_once, lock=lock)
    writer.submit(factory_datagram("f.example"), "192.0.2.1", time.time())

    assert writer.flush_once() == 1

    assert events[:6] == ["lock", "retry", "unlock", "sleep", "lock", "unlock"]
    assert counters.total("udp", "rejected", "unstorable") == 0
    assert not QuarantinedMessage.objects.exists()


def test_a_store_away_past_the_stop_deadline_keeps_what_it_holds(monkeypatch):
    def away(messages):
        raise OperationalError("unable to open database file")

    writer = BatchWriter(Parser(Counters(), "udp"), away, max_delay=0.01)
    writer.start()
    for i in range(3):
        writer.submit(factory_datagram(f"f{i}.example"), "192.0.2.1", time.time())
    time.sleep(0.2)

    assert not writer.stop(timeout=0.5)

    assert writer.stuck is not None and "unable to open" in writer.stuck.last_error
    assert len(writer.raw) == 3  # back in the queue, in order, for the caller to keep


def test_an_integer_the_database_cannot_hold_is_quarantined_not_retried(monkeypatch):
    import vacmon.ingest.pipeline as pipeline

    def huge(obj, **kwargs):
        message = real_normalise(obj, **kwargs)
        if message.factory == "huge.example":
            message.fields["running_machines"] = 2**70
        return message

    monkeypatch.setattr(pipeline, "normalise", huge)
    counters = Counters()
    # Prepared as ingest prepares it: the rows build, the database refuses one of them, and
    # each half of the split is prepared again.
    store = get_store()
    writer = BatchWriter(Parser(counters, "udp"), store.write, prepare=store.prepare)
    writer.submit(factory_datagram("huge.example"), "192.0.2.7", time.time())
    writer.submit(factory_datagram("fine.example"), "192.0.2.1", time.time())

    assert writer.flush_once() == 1

    assert stored_factories() == {"fine.example"}
    assert QuarantinedMessage.objects.get().factory == "huge.example"
