"""The whole path under hostile input: UDP listener -> parser -> database -> every page.

Hypothesis builds messages an attacker or a broken factory could send (deep nesting, 10 kB
strings, huge and non-finite numbers, far times, names with `/`, `%`, newlines, unicode),
sends them to a real listener on an ephemeral loopback port, then reads every page type and
API endpoint for the names involved. Every answer must be 200 or 4xx, and a canary sent after
the hostile datagrams must be stored within 2 s: a bad datagram costs only itself.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import samples
from tests.hostile.support import BAD_NAMES, FAR_TIMES, Names, assert_no_server_errors, page_urls
from vacmon.ingest.counters import Counters
from vacmon.ingest.pipeline import BatchWriter, Parser
from vacmon.ingest.udp import UdpListener, open_socket
from vacmon.publisher.selectors import forget_all
from vacmon.publisher.services import publish_all
from vacmon.store import Scope, get_store

pytestmark = pytest.mark.django_db(transaction=True)

CANARY_SECONDS = 2.0
# Bounded for `make test`: each example sends a few datagrams and reads about fifty pages.
EXAMPLES = 6
SAMPLES = [json.loads(s) for s in samples.ALL]
NAME_KEYS = ("site", "space", "factory", "machinetype", "machine")
NUMBER_KEYS = ("running_hs06", "max_hs06", "running_processors", "load_average", "hs06")
TIME_KEYS = ("time_sent", "boot_time", "heartbeat_time", "shutdown_time", "created_time")
_canaries = itertools.count()

names = st.one_of(
    st.sampled_from(BAD_NAMES),
    st.sampled_from(("GOOD-SITE", "vac01.good.example", "f1.good.example", "lhcb")),
    st.text(min_size=1, max_size=40),
    st.just("n" * 10_240),
)
numbers = st.one_of(
    st.sampled_from((1.7e308, -1.7e308, 1.7976931348623157e308, 2**63 - 1, 2**64, -1, 0)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
)
times = st.one_of(
    st.sampled_from((*FAR_TIMES, -1, 0, 2**64)),
    st.integers(min_value=-(2**64), max_value=2**64),
)
nested = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)
extras = st.one_of(
    nested,
    st.just("s" * 10_240),
    st.integers(min_value=1, max_value=40).map(lambda d: [[]] * 1 if d == 1 else _deep(d)),
)


def _deep(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def hostile_message(draw: st.DrawFn) -> dict[str, Any]:
    obj = dict(draw(st.sampled_from(SAMPLES)))
    obj["time_sent"] = int(time.time())
    for key in draw(st.sets(st.sampled_from(NAME_KEYS), max_size=3)):
        obj[key] = draw(names)
    for key in draw(st.sets(st.sampled_from(NUMBER_KEYS), max_size=2)):
        obj[key] = draw(numbers)
    for key in draw(st.sets(st.sampled_from(TIME_KEYS), max_size=2)):
        obj[key] = draw(times)
    if draw(st.booleans()):
        obj["x_unknown"] = draw(extras)
    return obj


def encode(obj: dict[str, Any], deep: int) -> bytes:
    """JSON as a sender might write it: NaN and Infinity as bare words, and optionally an
    unknown key nested `deep` levels, spliced in as text (json.dumps cannot nest that far)."""
    text = json.dumps(obj, allow_nan=True, ensure_ascii=False)
    if deep:
        text = text[:-1] + ', "x_deep": ' + "[" * deep + "]" * deep + "}"
    return text.encode("utf-8", "surrogatepass")


def canary(now: int) -> tuple[bytes, str]:
    factory = f"canary-{next(_canaries)}.example.org"
    obj = {**json.loads(samples.VAC_FACTORY), "factory": factory, "time_sent": now}
    return json.dumps(obj).encode(), factory


def names_in(obj: dict[str, Any]) -> Names:
    def name(key: str, default: str) -> str:
        value = obj.get(key)
        return value if isinstance(value, str) and value else default

    return Names(
        site=name("site", "GOOD-SITE"),
        space=name("space", "vac01.good.example"),
        factory=name("factory", "f1.good.example"),
        machinetype=name("machinetype", "lhcb"),
        machine=name("machine", "m1.example.org"),
    )


class Listener:
    """A real listener and batch writer on an ephemeral loopback port."""

    def __init__(self) -> None:
        self.writer = BatchWriter(Parser(Counters(), "udp"), self.write, max_delay=0.01)
        self.writer_connections: set[Any] = set()
        self.listener = UdpListener(open_socket("127.0.0.1", 0, 1 << 22), self.writer)
        self.thread = threading.Thread(target=self.listener.serve, daemon=True)
        self.client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(self, data: bytes) -> None:
        self.client.sendto(data[:65507], self.listener.address)

    def __enter__(self) -> Listener:
        self.writer.start()
        self.thread.start()
        return self

    def write(self, batch: Any) -> Any:
        # Remembered so the test can close the writer thread's connection: a connection left
        # open keeps PostgreSQL from dropping the test database.
        self.writer_connections.add(connections["default"])
        return get_store().write(batch)

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.listener.stop()
        self.thread.join(5)
        self.writer.stop(5)
        for connection in self.writer_connections:
            connection.inc_thread_sharing()
            connection.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as running:
        yield running


def stored_within(factory: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if get_store().latest("factory_status", since=0, scope=Scope(factory=factory)):
            return True
        time.sleep(0.02)
    return False


def test_hostile_datagrams_break_no_page_and_cost_only_themselves(listener):
    client = Client()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        messages=st.lists(hostile_message(), min_size=1, max_size=4),
        deep=st.sampled_from((0, 0, 1010, 5000)),
    )
    def run(messages: list[dict[str, Any]], deep: int) -> None:
        for obj in messages:
            listener.send(encode(obj, deep))
        now = int(time.time())
        data, factory = canary(now)
        listener.send(data)
        assert stored_within(factory, CANARY_SECONDS), "the canary was not stored within 2 s"
        publish_all(now)
        forget_all()
        assert_no_server_errors(client, page_urls(names_in(messages[0])))

    run()


def test_the_issues_thousand_deep_datagram_costs_only_itself(listener):
    now = int(time.time())
    depth = 1010
    head = b'{"message_type":"factory_status","space":"p.sp","factory":"f","time_sent":%d,"x":'
    listener.send(head % now + b"[" * depth + b"]" * depth + b"}")
    data, factory = canary(now)
    listener.send(data)
    assert stored_within(factory, CANARY_SECONDS)
    assert listener.writer.parser.counters.total("udp", "rejected", "too_deep") == 1
