"""SIGTERM to `manage.py listen_udp` writes everything it accepted and ends every process,
its workers included, within VACMON_SHUTDOWN_GRACE. A store that stays locked is reported
and what it did not take is kept on disk, then written by the next listener.

Each test runs the real command in its own process on its own SQLite file (migrated once
per module), so it behaves the same whichever database the suite runs on."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import samples
from tests.processes import descendants

ROOT = Path(__file__).resolve().parents[2]
GRACE = 2


def env_for(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "ELASTIC"))}
    env.update(
        DATABASE_URL=f"sqlite:///{var_dir / 'vacmon.sqlite3'}",
        VACMON_VAR_DIR=str(var_dir),
        VACMON_SHUTDOWN_GRACE=str(GRACE),
        VACMON_UDP_WORKERS="2",
        # A test instance with the development key, as `make run` starts one.
        VACMON_ALLOW_INSECURE="true",
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    var = tmp_path_factory.mktemp("migrated")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env_for(var),
        check=True,
        timeout=120,
    )
    return var / "vacmon.sqlite3"


@pytest.fixture
def var_dir(tmp_path, migrated) -> Path:
    shutil.copy(migrated, tmp_path / "vacmon.sqlite3")
    return tmp_path


class Listener:
    def __init__(self, var_dir: Path, **env: str) -> None:
        port_file = var_dir / f"port-{time.monotonic_ns()}"
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "listen_udp", "--port", "0", "--port-file", port_file],
            cwd=ROOT,
            env=env_for(var_dir, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text()):
            assert self.proc.poll() is None, self.proc.communicate()[1]
            assert time.monotonic() < deadline, "the listener did not start"
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        self.stderr = ""

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def send(self, names: list[str]) -> None:
        body = json.loads(samples.VAC_FACTORY)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            for i, name in enumerate(names):
                body.update(factory=name, time_sent=int(time.time()))
                client.sendto(json.dumps(body).encode(), ("127.0.0.1", self.port))
                if i % 100 == 99:
                    time.sleep(0.01)

    def kernel_queue_empty(self, within: float = 20.0) -> bool:
        """Whether the kernel soon holds nothing unread for our socket (the rx_queue column
        of /proc/net/udp): a fixed sleep is too short on a busy machine."""
        port = f":{self.port:04X}"
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for table in (Path("/proc/net/udp"), Path("/proc/net/udp6")):
                for line in table.read_text().splitlines()[1:]:
                    fields = line.split()
                    if fields[1].endswith(port) and int(fields[4].split(":")[1], 16) == 0:
                        return True
            time.sleep(0.05)
        return False

    def terminate(self, group: bool = False) -> tuple[int, float]:
        started = time.monotonic()
        if group:
            os.killpg(self.proc.pid, signal.SIGTERM)  # as systemd does to the whole unit
        else:
            self.proc.send_signal(signal.SIGTERM)
        _, self.stderr = self.proc.communicate(timeout=GRACE + 20)
        return self.proc.returncode, time.monotonic() - started


def stored(var_dir: Path) -> set[str]:
    with sqlite3.connect(var_dir / "vacmon.sqlite3") as db:
        return {row[0] for row in db.execute("SELECT factory FROM vacmon_factorystatus")}


def gone(pids: list[int], within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("group", [False, True], ids=["listener", "whole-group"])
def test_sigterm_writes_everything_accepted_and_ends_every_worker(var_dir, group):
    listener = Listener(var_dir)
    workers = listener.workers()
    assert len(workers) == 2
    # Fewer new names than one process's name budget (VACMON_NAME_BUDGET, 1,000 an hour
    # from one source, counting the site and space): with 1,500, whichever worker got more
    # than 998 of them refused the rest as name_budget, as it should, and they were missing.
    names = [f"f{i}.example" for i in range(990)]
    listener.send(names)
    # Everything sent has left the kernel's queue: it is the listener's to keep from here.
    assert listener.kernel_queue_empty(), "the listener did not read its socket"

    code, took = listener.terminate(group=group)

    assert code == 0, listener.stderr
    assert took < GRACE + 5
    assert stored(var_dir) == set(names)
    assert gone(workers), "a worker outlived the listener"


def test_a_locked_store_is_reported_and_what_it_held_is_written_at_the_next_start(var_dir):
    listener = Listener(var_dir, VACMON_SQLITE_BUSY_TIMEOUT="0.2")
    workers = listener.workers()
    blocker = sqlite3.connect(var_dir / "vacmon.sqlite3", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # nobody else may write until we let go
    names = [f"held{i}.example" for i in range(300)]
    try:
        listener.send(names)
        time.sleep(0.5)
        code, took = listener.terminate()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    assert code == 3
    assert took < GRACE + 5
    assert gone(workers)
    assert "kept in" in listener.stderr and "database is locked" in listener.stderr
    spilled = list((var_dir / "ingest").glob("unwritten-*.jsonl"))
    assert sum(len(p.read_text().splitlines()) for p in spilled) >= len(names)
    assert stored(var_dir) == set()

    again = Listener(var_dir)
    deadline = time.monotonic() + 10
    while stored(var_dir) != set(names) and time.monotonic() < deadline:
        time.sleep(0.1)
    code, _ = again.terminate()

    assert stored(var_dir) == set(names)
    assert code == 0, again.stderr
    assert not list((var_dir / "ingest").glob("unwritten-*"))


def test_sigterm_to_runservice_ends_every_part_and_their_children(var_dir):
    # As `make run` starts it: a development run, where the development defaults are allowed.
    env = env_for(var_dir, VACMON_UDP_PORT="0", DJANGO_DEBUG="true")
    service = subprocess.Popen(
        [sys.executable, "manage.py", "runservice", "--http", "127.0.0.1:0", "--web-workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # web (gunicorn and its worker), udp (and its two workers), celery worker (and its
    # pool of two) and beat: wait until the listener's workers are up.
    deadline = time.monotonic() + 60
    while len(descendants(service.pid)) < 8 and time.monotonic() < deadline:
        assert service.poll() is None, service.communicate()[1][-3000:]
        time.sleep(0.2)
    everyone = descendants(service.pid)
    assert len(everyone) >= 8

    started = time.monotonic()
    service.send_signal(signal.SIGTERM)
    out, err = service.communicate(timeout=GRACE + 30)

    assert time.monotonic() - started < GRACE + 15
    assert "VacMon stopped." in out, err[-3000:]
    assert gone(sorted(everyone), within=5), "a part or its child outlived runservice"
