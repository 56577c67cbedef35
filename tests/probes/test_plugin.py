from __future__ import annotations

import http.server
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from probes.nagios import Status
from probes.plugin import PluginCommand, PluginRunner

PLUGINS = Path("/usr/lib/nagios/plugins")

needs_plugins = pytest.mark.skipif(
    not (PLUGINS / "check_dummy").exists(), reason="Debian monitoring-plugins not installed"
)


def plugin(name: str, *args: str, timeout: float = 10.0) -> PluginCommand:
    return PluginCommand(str(PLUGINS / name), args, timeout=timeout)


@pytest.fixture
def runner() -> PluginRunner:
    return PluginRunner()


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    # Bind without listening: the port is ours, so nothing else can accept on it.
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        return int(holder.getsockname()[1])


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_port(tmp_path: Path) -> Iterator[int]:
    (tmp_path / "index.html").write_text("<p>vacmon</p>")
    handler = lambda *a: _Quiet(*a, directory=str(tmp_path))  # noqa: E731
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield server.server_address[1]
        server.shutdown()
        thread.join(5)


@needs_plugins
@pytest.mark.parametrize("status", list(Status))
def test_it_reads_every_state_of_the_real_check_dummy(runner, status):
    result = runner.run(plugin("check_dummy", str(status.value), f"said {status.name}"))
    assert result.status == status
    assert result.summary == f"said {status.name}"
    assert result.finished_at >= result.started_at > 0


@needs_plugins
def test_it_reads_check_tcp_against_a_listening_socket(runner, listening_port):
    result = runner.run(plugin("check_tcp", "-H", "127.0.0.1", "-p", str(listening_port)))
    assert result.status == Status.OK
    assert result.summary.startswith("TCP ")
    (time,) = result.perfdata
    assert (time.label, time.uom, time.minimum) == ("time", "s", 0.0)


@needs_plugins
def test_it_reads_check_tcp_warning_thresholds_against_a_listening_socket(runner, listening_port):
    args = ("-H", "127.0.0.1", "-p", str(listening_port), "-w", "0.0000001", "-c", "5")
    result = runner.run(plugin("check_tcp", *args))
    # check_tcp's -w is a plain upper limit; no connection is that fast.
    assert result.status == Status.WARNING
    assert result.perfdata[0].critical is not None


@needs_plugins
def test_it_reads_check_tcp_against_a_closed_port(runner, closed_port):
    result = runner.run(plugin("check_tcp", "-H", "127.0.0.1", "-p", str(closed_port)))
    assert result.status == Status.CRITICAL
    assert "Connection refused" in result.summary


@needs_plugins
def test_it_reads_check_http_against_a_local_web_server(runner, http_port):
    result = runner.run(plugin("check_http", "-H", "127.0.0.1", "-p", str(http_port)))
    assert result.status == Status.OK
    assert "200 OK" in result.summary
    assert {p.label for p in result.perfdata} == {"time", "size"}


@needs_plugins
def test_it_reads_check_http_warning_on_a_missing_page(runner, http_port):
    args = ("-H", "127.0.0.1", "-p", str(http_port), "-u", "/nope")
    result = runner.run(plugin("check_http", *args))
    assert result.status == Status.WARNING
    assert "404" in result.summary


def sh(script: str, timeout: float = 10.0, **env: str) -> PluginCommand:
    return PluginCommand("/bin/sh", ("-c", script), env, timeout)


def test_it_passes_args_and_environment_to_the_plugin(runner):
    result = runner.run(sh('echo "OK - $0 $GREETING | n=1"', GREETING="hello"))
    assert (result.status, result.summary) == (Status.OK, "/bin/sh hello")


def test_it_gives_unknown_with_the_reason_when_the_plugin_times_out(runner):
    result = runner.run(sh("echo partial; sleep 10 & wait", timeout=0.3))
    assert result.status == Status.UNKNOWN
    assert result.summary == "plugin timed out after 0.3 s"
    assert result.finished_at - result.started_at < 5


def test_it_gives_unknown_when_the_plugin_is_killed_by_a_signal(runner):
    result = runner.run(sh("kill -SEGV $$"))
    assert (result.status, result.summary) == (Status.UNKNOWN, "plugin killed by signal SIGSEGV")


def test_it_gives_unknown_when_the_exit_code_is_above_three(runner):
    result = runner.run(sh("echo 'OK - fine'; echo oops >&2; exit 7"))
    assert (result.status, result.summary) == (Status.UNKNOWN, "plugin exited with code 7")
    assert "oops" in result.details


def test_it_gives_unknown_on_garbage_output(runner):
    result = runner.run(sh("echo 'OK - fine | not perfdata'"))
    assert result.status == Status.UNKNOWN
    assert result.summary.startswith("plugin output unparseable")


def test_it_gives_unknown_when_the_executable_is_missing(runner, tmp_path):
    result = runner.run(PluginCommand(str(tmp_path / "check_nothing")))
    assert result.status == Status.UNKNOWN
    assert "cannot run plugin" in result.summary


def test_it_does_not_inherit_the_callers_environment(runner, monkeypatch):
    monkeypatch.setenv("VACMON_SECRET", "x")
    result = runner.run(sh('echo "OK - [${VACMON_SECRET:-unset}]"'))
    assert result.summary == "[unset]"
    assert os.environ["VACMON_SECRET"] == "x"
