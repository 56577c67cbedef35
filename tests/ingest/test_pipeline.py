from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from django.db import OperationalError

from tests import samples
from vacmon.ingest.counters import Counters, read_all
from vacmon.ingest.pipeline import BatchWriter, Parser
from vacmon.ingest.ratelog import RateLimitedLog
from vacmon.ingest.udp import UdpListener, open_socket
from vacmon.store import get_store
from vacmon.store.base import WriteResult

pytestmark = pytest.mark.django_db(transaction=True)


def make_writer(write=None):
    counters = Counters()
    writer = BatchWriter(Parser(counters, "udp"), write or get_store().write, max_delay=0.01)
    return writer, counters


def test_it_writes_every_sample_datagram_once():
    writer, counters = make_writer()
    for sample in samples.ALL:
        writer.submit(sample.encode(), "192.0.2.1", time.time())
    writer.submit(samples.VAC_FACTORY.encode(), "192.0.2.1", time.time())
    while writer.raw:
        writer.flush_once()
    assert counters.total("udp", "accepted") == len(samples.ALL)
    assert counters.total("udp", "duplicates") == 1


def test_it_counts_rejections_by_reason_and_keeps_going():
    writer, counters = make_writer()
    for payload in (b"\xff", b"[]", b'{"message_type": "x"}', samples.VAC_FACTORY.encode()):
        writer.submit(payload, "192.0.2.9", time.time())
    writer.flush_once()
    assert counters.total("udp", "rejected", "not_utf8") == 1
    assert counters.total("udp", "rejected", "not_object") == 1
    assert counters.total("udp", "rejected", "unknown_message_type") == 1
    assert counters.total("udp", "accepted") == 1
    stored = read_all()
    assert stored[("udp", "rejected", "not_object")] == 1


def test_a_failed_store_write_is_retried_not_dropped():
    calls = []

    def flaky(messages):
        calls.append(len(messages))
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return WriteResult(inserted=len(messages), duplicates=0)

    writer, counters = make_writer(flaky)
    writer.submit(samples.VAC_FACTORY.encode(), "192.0.2.1", time.time())
    writer.flush_once()
    assert calls == [1, 1]
    assert counters.total("udp", "accepted") == 1


def test_a_full_queue_refuses_and_counts_new_datagrams():
    writer, counters = make_writer()
    writer.raw.limit = 2 + 200  # one datagram of two bytes and its overhead
    assert writer.submit(b"{}", "a", 0.0)
    assert not writer.submit(b"{}", "a", 0.0)
    assert counters.total("udp", "rejected", "queue_full") == 1


def test_rejections_are_logged_once_per_source_per_minute(caplog):
    log = RateLimitedLog(interval=60)
    assert log.rejected("192.0.2.1", "not_json", "x", now=0)
    assert not log.rejected("192.0.2.1", "not_json", "x", now=30)
    assert log.rejected("192.0.2.2", "not_json", "x", now=30)
    assert log.rejected("192.0.2.1", "not_json", "x", now=61)
    assert "1 more from this source suppressed" in caplog.text


def test_forged_sources_sending_two_bad_datagrams_each_keep_the_log_state_bounded():
    log = RateLimitedLog(interval=60, max_sources=100)
    for n in range(10_000):
        source = f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
        log.rejected(source, "not_json", "x", now=0)
        log.rejected(source, "not_json", "x", now=1)  # suppressed
        assert len(log._last) <= 100 and len(log._suppressed) <= 100


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_the_listener_receives_real_datagrams_and_flushes_on_stop(host):
    writer, counters = make_writer()
    sock = open_socket("::" if host == "::1" else host, 0, 1 << 20)
    listener = UdpListener(sock, writer)
    port = listener.address[1]
    writer.start()
    thread = threading.Thread(target=listener.serve)
    thread.start()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as client:
        for sample in samples.ALL:
            client.sendto(sample.encode(), (host, port))
        client.sendto(b"not json", (host, port))
    deadline = time.time() + 5
    while counters.total("udp", "received") < len(samples.ALL) + 1 and time.time() < deadline:
        time.sleep(0.01)
    listener.stop()
    thread.join(5)
    writer.stop(5)
    assert counters.total("udp", "accepted") == len(samples.ALL)
    assert counters.total("udp", "rejected", "not_json") == 1
    factories = get_store().latest("factory_status", since=0)
    assert {m.factory for m in factories} == {
        json.loads(s)["factory"] for s in samples.ALL if "factory_status" in s
    }


def test_worker_processes_write_everything_received_before_stop():
    from vacmon.ingest.workers import WorkerPool

    pool = WorkerPool(2, lambda: get_store().write, batch_size=50)
    sock = open_socket("127.0.0.1", 0, 1 << 22)
    listener = UdpListener(sock, pool)
    port = listener.address[1]
    pool.start()
    thread = threading.Thread(target=listener.serve)
    thread.start()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        for i in range(300):
            body = json.loads(samples.VAC_FACTORY)
            body.update(factory=f"f{i}.example", time_sent=1_700_000_000 + i)
            client.sendto(json.dumps(body).encode(), ("127.0.0.1", port))
        client.sendto(b"[]", ("127.0.0.1", port))
    time.sleep(0.5)
    listener.stop()
    thread.join(5)
    pool.stop(30)
    counters = read_all()
    assert counters[("udp", "accepted", "")] == 300
    assert counters[("udp", "rejected", "not_object")] == 1
    assert len(get_store().latest("factory_status", since=0)) == 300


def signed_site_parser():
    from vacmon.trust.gate import IngestGate
    from vacmon.trust.udp import SitePolicy, UdpPolicy

    policy = UdpPolicy({"UKI-NORTHGRID-MAN-HEP": SitePolicy(mode="signed", keys={"": b"k"})})
    policy.loaded_at = 1e12  # no reload from the database during the test
    return Parser(Counters(), "udp", gate=IngestGate(policy, None))


def test_a_signed_site_refuses_an_unsigned_datagram_and_counts_it():
    parser = signed_site_parser()
    outcome = parser.parse(samples.VAC_FACTORY.encode(), "192.0.2.1", 1543000001)
    assert outcome.rejection is not None and outcome.rejection.reason == "unsigned"
    assert parser.counters.total("udp", "rejected", "unsigned") == 1


def test_a_validly_signed_datagram_is_stored_as_trusted():
    from factories.signing import sign

    signed = sign(json.loads(samples.VAC_FACTORY), b"k")
    outcome = signed_site_parser().parse(json.dumps(signed).encode(), "192.0.2.1", 1543000001)
    assert outcome.message is not None and outcome.message.trusted
    assert "hmac_sha256" not in outcome.message.extra


def test_an_unexpected_parser_error_is_counted_not_raised(monkeypatch):
    import vacmon.ingest.pipeline as pipeline

    def explode(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(pipeline, "normalise", explode)
    parser = Parser(Counters(), "udp")
    outcome = parser.parse(samples.VAC_FACTORY.encode(), "192.0.2.1", 1.0)
    assert outcome.rejection is not None and outcome.rejection.reason == "internal_error"
    assert parser.counters.total("udp", "rejected", "internal_error") == 1


def test_a_machine_status_with_a_stray_running_cpus_is_accepted():
    body = json.loads(samples.VAC_MACHINE_FINISHED)
    body["running_cpus"] = 1
    received = float(body["time_sent"])
    outcome = Parser(Counters(), "udp").parse(json.dumps(body).encode(), "192.0.2.1", received)
    assert outcome.message is not None
    assert outcome.message.extra == {"running_cpus": 1}
