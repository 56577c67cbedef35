"""UDP and HTTP go through one pipeline: the same batch sent through either edge is parsed,
deduplicated, stored, quarantined and counted alike."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from factories.messages import normalise as real_normalise
from tests import samples
from vacmon.ingest.counters import Counters, read_all
from vacmon.ingest.pipeline import BatchWriter, Parser
from vacmon.ingest.udp import UdpListener, open_socket
from vacmon.models import (
    FactoryStatus,
    LatestStatus,
    MachineShutdown,
    MachineStatus,
    MachinetypeStatus,
    QuarantinedMessage,
)
from vacmon.store import get_store

pytestmark = pytest.mark.django_db(transaction=True)

NOW = int(time.time())


def message(sample: str, factory: str, **changes: object) -> bytes:
    body = json.loads(sample)
    body.update({"factory": factory, "time_sent": NOW, **changes})
    return json.dumps(body).encode()


def deep(factory: str) -> bytes:
    """A message the store cannot take (RecursionError), once past the parse-time limits."""
    return (
        message(samples.VAC_FACTORY, factory)[:-1] + b', "x": ' + b"[" * 1010 + b"]" * 1010 + b"}"
    )


ALREADY_STORED = message(samples.VAC_FACTORY, "stored-before.example")

BATCH = [
    message(samples.VAC_FACTORY, "f1.example"),
    message(samples.VAC_MACHINETYPE, "f1.example"),
    message(samples.VAC_MACHINE_FINISHED, "f1.example"),
    message(samples.VAC_FACTORY, "f1.example"),  # a version-logger repeat
    message(samples.VAC_FACTORY, "ahead.example", time_sent=NOW + 3600),  # skewed
    ALREADY_STORED,  # a duplicate only the store knows
    deep("poison.example"),
    b"not json",
    b"[]",
    b'{"message_type": "nope"}',
    message(samples.VAC_FACTORY, "f2.example", site="a/b"),
    message(samples.VAC_FACTORY, "f3.example", running_processors="lots"),
]


@pytest.fixture
def lenient(monkeypatch):
    """Lets the deep message past normalise, so the store's refusal is what is counted."""
    import vacmon.ingest.pipeline as pipeline

    def without_depth_limit(obj, **kwargs):
        nested = obj.pop("x", None) if isinstance(obj, dict) else None
        out = real_normalise(obj, **kwargs)
        if nested is not None:
            out.extra["x"] = nested
        return out

    monkeypatch.setattr(pipeline, "normalise", without_depth_limit)


def fresh_store() -> None:
    """Empty status tables and only the one message already stored, before each edge."""
    for model in (FactoryStatus, MachinetypeStatus, MachineStatus, LatestStatus, MachineShutdown):
        model.objects.all().delete()
    from vacmon.store.embedded import writer

    writer._STORED.clear()
    parsed = Parser(Counters(), "setup").accept(ALREADY_STORED, "192.0.2.9", NOW)
    assert parsed is not None
    get_store().write([parsed])


def through_udp() -> None:
    writer = BatchWriter(Parser(Counters(), "udp"), get_store().write, max_delay=0.01)
    listener = UdpListener(open_socket("127.0.0.1", 0, 1 << 22), writer)
    writer.start()
    serving = threading.Thread(target=listener.serve)
    serving.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            for datagram in BATCH:
                client.sendto(datagram, listener.address)
        deadline = time.monotonic() + 20
        while writer.counters.total("udp", "received") < len(BATCH):
            assert time.monotonic() < deadline, "the listener did not receive the batch"
            time.sleep(0.01)
    finally:
        listener.stop()
        serving.join(5)
        assert writer.stop(10)


def through_http(client) -> dict[str, object]:
    body = b"\n".join(BATCH) + b"\n"
    response = client.post("/api/v1/messages", body, content_type="application/x-ndjson")
    assert response.status_code == 202
    return response.json()


def counted(channel: str) -> dict[tuple[str, str], int]:
    return {(name, reason): n for (ch, name, reason), n in read_all().items() if ch == channel}


def stored_factories() -> set[str]:
    """Every factory_status row, the one ahead of time too (never anyone's latest)."""
    return set(FactoryStatus.objects.values_list("factory", flat=True))


def test_the_same_batch_is_counted_alike_through_udp_and_http(client, lenient):
    fresh_store()
    through_udp()
    udp_stored = stored_factories()
    fresh_store()
    report = through_http(client)

    assert (
        counted("http")
        == counted("udp")
        == {
            ("received", ""): 12,
            ("accepted", ""): 4,
            ("duplicates", ""): 2,
            ("skewed", ""): 1,
            ("rejected", "unstorable"): 1,
            ("rejected", "not_json"): 1,
            ("rejected", "not_object"): 1,
            ("rejected", "unknown_message_type"): 1,
            ("rejected", "bad_name"): 1,
            ("rejected", "wrong_type"): 1,
        }
    )
    assert stored_factories() == udp_stored
    assert udp_stored == {"f1.example", "ahead.example", "stored-before.example"}
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (4, 2, 6)
    channels = sorted(QuarantinedMessage.objects.values_list("channel", flat=True))
    assert channels == ["http", "udp"]
