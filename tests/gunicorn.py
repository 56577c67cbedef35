"""The web service as runservice starts it (gunicorn), on a free loopback port, for the
tests that need real connections: slow clients, trickled uploads."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from vacmon.management.commands.runservice import web_command

ROOT = Path(__file__).resolve().parents[1]


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


@contextlib.contextmanager
def serving(env: Mapping[str, str], *, workers: int = 2, connections: int = 1000) -> Iterator[int]:
    """Start gunicorn with `env`, wait until /healthz answers 200, yield its port, stop it."""
    port = free_port()
    command = web_command(
        os.path.dirname(sys.executable), f"127.0.0.1:{port}", workers, connections
    )
    server = subprocess.Popen(
        command, cwd=ROOT, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
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
