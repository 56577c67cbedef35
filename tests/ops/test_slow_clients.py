"""Slow clients cannot starve the web service: gunicorn as runservice starts it keeps
answering /healthz while 200 connections hold half-sent requests open (loopback only)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gunicorn import healthz, serving

SLOW_CLIENTS = 200


@pytest.fixture
def web(tmp_path: Path) -> Iterator[int]:
    env = {**os.environ, "VACMON_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "true"}
    env.pop("DATABASE_URL", None)
    with serving(env) as port:
        yield port


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
