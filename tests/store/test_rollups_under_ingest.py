"""Rollups and ingest share the database: rollup runs made while UDP worker processes
write continuously all succeed, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from django.db import connections

from tests import samples
from tests.builders import factory_status
from vacmon.ingest.counters import read_all
from vacmon.ingest.udp import UdpListener, open_socket
from vacmon.models import Rollup
from vacmon.store import get_store
from vacmon.store.embedded import rollups

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("embedded_only")]

SECONDS = 4.0


def blast(port: int, stop: threading.Event) -> int:
    """New factory messages at a steady rate until `stop`."""
    body = json.loads(samples.VAC_FACTORY)
    now = int(time.time())  # time_sent only: they are all received now
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        while not stop.is_set():
            body.update(factory=f"f{sent % 500}.bench", time_sent=now - 3600 + sent // 500)
            client.sendto(json.dumps(body).encode(), ("127.0.0.1", port))
            sent += 1
            if sent % 100 == 0:
                time.sleep(0.03)  # about 3,000 msg/s: steady, and drained quickly at the end
    return sent


def test_rollup_runs_made_while_workers_ingest_never_fail(settings):
    from vacmon.ingest.workers import WorkerPool

    db = connections["default"]
    if db.vendor == "sqlite":
        # A short busy timeout, so a rollup starved of the database fails within the test
        # instead of after the production timeout of 30 s.
        db.settings_dict["OPTIONS"]["timeout"] = 1
        db.close()
    now = int(time.time())
    # An hour already received, which every rollup run rebuilds while ingest goes on.
    get_store().write(
        [factory_status(received=now - 3600 + i, factory=f"s{i % 50}") for i in range(0, 3600, 2)]
    )
    pool = WorkerPool(2, lambda: get_store().write, batch_size=500)
    listener = UdpListener(open_socket("127.0.0.1", 0, 1 << 23), pool)
    pool.start()
    serving = threading.Thread(target=listener.serve)
    serving.start()
    stop = threading.Event()
    sender = threading.Thread(target=blast, args=(listener.address[1], stop))
    sender.start()
    runs, failures = 0, []
    try:
        time.sleep(0.5)
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            try:
                rollups.build(int(time.time()), start=now - 3600)
                rollups.optimise()
            except Exception as exc:
                failures.append(repr(exc))
            runs += 1
    finally:
        stop.set()
        sender.join(5)
        listener.stop()
        serving.join(5)
        pool.stop(30)
    assert failures == []
    assert runs >= 3
    assert read_all()[("udp", "accepted", "")] > 1000  # ingest did run alongside
    assert Rollup.objects.filter(resolution=300).exists()


def test_a_rollup_step_that_finds_the_database_locked_is_retried(monkeypatch):
    from django.db import OperationalError

    from vacmon.store.embedded import summing

    now = int(time.time())
    times = [now - 1800 + i * 60 for i in range(20)]
    get_store().write([factory_status(received=t) for t in times])
    # Nineteen minutes of reports fill four or five 5-minute buckets, as `now` falls.
    buckets = len({t - t % 300 for t in times})
    real_step, calls = summing._build_step, []

    def locked_once(*args):
        calls.append(args[3])
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real_step(*args)

    monkeypatch.setattr(summing, "_build_step", locked_once)

    rollups.build(now)

    assert calls[0] == calls[1]  # the same buckets again, not skipped
    assert Rollup.objects.filter(resolution=300, message_type="factory_status").count() == buckets


def test_a_long_first_build_commits_a_few_buckets_at_a_time(monkeypatch):
    from vacmon.store.embedded import summing

    now = int(time.time())
    get_store().write([factory_status(received=now - 3 * 86400 + i * 3600) for i in range(72)])
    steps = []
    real_step = summing._build_step
    monkeypatch.setattr(summing, "_build_step", lambda *a: (steps.append(a[2:5]), real_step(*a)))

    rollups.build(now)

    fine = [(low, high) for resolution, low, high in steps if resolution == 300]
    assert len(fine) > 1
    assert all(high - low <= 300 * summing.BUCKETS_PER_TRANSACTION for low, high in fine)
