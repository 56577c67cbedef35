"""Slow clients cannot starve the web service: gunicorn as runservice starts it keeps
answering /healthz while 200 connections hold half-sent requests open (loopback only)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from vacmon.management.commands.runservice import web_command

ROOT = Path(__file__).resolve().parents[2]
SLOW_CLIENTS = 200


def free_port() -> int:
    # gunicorn cannot report a port 0 it bound: take one the kernel hands out, give it back.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthz(port: int, timeout: float) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.fixture
def web(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "VACMON_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "true"}
    env.pop("DATABASE_URL", None)
    command = web_command(os.path.dirname(sys.executable), f"127.0.0.1:{port}", 2, 1000)
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "gunicorn exited before it answered"
            try:
                if healthz(port, 2) == 200:
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer in 60 s"
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(30)


def test_healthz_answers_while_200_slow_clients_hold_half_sent_requests(web):
    slow = []
    try:
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", web), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(sock)
        time.sleep(1)  # let every worker thread meet its share of the slow clients
        started = time.monotonic()
        assert healthz(web, timeout=10) == 200
        assert time.monotonic() - started < 10
    finally:
        for sock in slow:
            sock.close()
