"""Real monitoring-plugins run as configured external probes through the task function."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from tests.vacmon_probes.helpers import PLUGINS, external
from vacmon.models import ProbeEndpoint, ProbeResult
from vacmon.probes import tasks

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not os.path.exists(f"{PLUGINS}/check_tcp"), reason="monitoring-plugins not installed"
    ),
]


@pytest.fixture
def listening_port() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


def run(definition_id: int, hostname: str = "127.0.0.1", due_at: float = 0.0) -> ProbeResult:
    stored = tasks.run_probe(definition_id, "endpoint", hostname, "HTTPS", "EXAMPLE-SITE", due_at)
    assert stored == 1
    return ProbeResult.objects.latest("id")


def test_check_tcp_against_a_listening_socket_is_ok_with_its_response_time(listening_port):
    tcp = external(
        "org.example.TCP-Connect",
        f"{PLUGINS}/check_tcp",
        "-H",
        "$HOSTNAME$",
        "-p",
        str(listening_port),
    )
    found = run(tcp.pk)
    assert found.status == "OK"
    assert f"port {listening_port}" in found.summary
    assert [p["label"] for p in found.perfdata] == ["time"]
    assert found.perfdata[0]["uom"] == "s"
    assert (found.metric, found.hostname, found.flavour) == (
        "org.example.TCP-Connect",
        "127.0.0.1",
        "HTTPS",
    )


def test_check_tcp_against_a_closed_port_is_critical():
    tcp = external(
        "org.example.TCP-Connect",
        f"{PLUGINS}/check_tcp",
        "-H",
        "127.0.0.1",
        "-p",
        str(closed_port()),
    )
    found = run(tcp.pk)
    assert found.status == "CRITICAL"
    assert "refused" in found.summary.lower()


def test_check_dummy_status_and_text_become_the_result():
    dummy = external("org.example.Dummy-Check", f"{PLUGINS}/check_dummy", "1", "disk at $SITE$")
    found = run(dummy.pk)
    assert found.status == "WARNING"
    assert found.summary == "disk at EXAMPLE-SITE"


def test_a_plugin_that_outlives_its_timeout_is_unknown(settings, tmp_path):
    plugin = tmp_path / "check_slow"
    plugin.write_text("#!/bin/sh\nsleep 5\n")
    plugin.chmod(0o755)
    settings.VACMON_PROBE_PLUGIN_DIRS = [str(tmp_path)]
    sleeper = external("org.example.Slow-Check", "check_slow", timeout=1)
    found = run(sleeper.pk)
    assert found.status == "UNKNOWN"
    assert "timed out after 1 s" in found.summary


def test_each_run_stores_how_late_it_started():
    dummy = external("org.example.Dummy-Check", f"{PLUGINS}/check_dummy", "0", "fine")
    found = run(dummy.pk, due_at=1.0)
    assert found.due_at == 1.0
    assert found.lateness == pytest.approx(found.started_at - 1.0)


def test_a_disabled_definition_does_not_run():
    dummy = external("org.example.Dummy-Check", f"{PLUGINS}/check_dummy", "0", "x", enabled=False)
    assert tasks.run_probe(dummy.pk, "endpoint", "h", "HTTPS", "", 0.0) == 0


def test_the_beat_tick_runs_every_endpoint_of_the_probes_flavour(listening_port, monkeypatch):
    from vacmon.celery import app

    # The Celery app reads Django settings once, so switch eager mode on the app itself.
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    external(
        "org.example.TCP-Connect",
        f"{PLUGINS}/check_tcp",
        "-H",
        "$HOSTNAME$",
        "-p",
        str(listening_port),
        interval=60,
    )
    ProbeEndpoint.objects.create(hostname="127.0.0.1", flavour="HTTPS", site="EXAMPLE-SITE")
    ProbeEndpoint.objects.create(hostname="localhost", flavour="HTTPS", site="EXAMPLE-SITE")
    ProbeEndpoint.objects.create(hostname="ignored.example", flavour="SRM", site="EXAMPLE-SITE")
    # A 60 s interval makes every target due within the first one-minute window.
    dispatched = tasks.dispatch_probes()
    assert dispatched >= 2
    runs = ProbeResult.objects.filter(metric="org.example.TCP-Connect")
    assert sorted(runs.values_list("hostname", flat=True)) == ["127.0.0.1", "localhost"]
    assert runs.get(hostname="127.0.0.1").status == "OK"
    assert all(r.lateness is not None and r.due_at is not None for r in runs)
