"""A client that trickles its NDJSON body holds only its own connection: gunicorn, as
runservice starts it, takes other uploads meanwhile, and the slow body is stored once it
has all arrived (loopback only, a fresh SQLite database)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import samples
from tests.gunicorn import ROOT, serving


def lines(prefix: str, n: int) -> bytes:
    out = []
    for i in range(n):
        body = json.loads(samples.VAC_FACTORY)
        body.update(factory=f"{prefix}{i}.example", time_sent=int(time.time()))
        out.append(json.dumps(body).encode())
    return b"\n".join(out) + b"\n"


def post(port: int, body: bytes, timeout: float) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/api/v1/messages", body, {"Content-Type": "application/x-ndjson"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    env = {**os.environ, "VACMON_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "true"}
    env.pop("DATABASE_URL", None)
    env.pop("ELASTICSEARCH_URL", None)
    env["CELERY_BROKER_URL"] = f"filesystem://{tmp_path}/celery"
    migrate = [sys.executable, "manage.py", "migrate", "-v0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=120)
    with serving(env) as port:
        yield port, tmp_path / "vacmon.sqlite3"


def stored(database: Path) -> set[str]:
    with sqlite3.connect(database, timeout=30) as conn:
        return {row[0] for row in conn.execute("SELECT factory FROM vacmon_factorystatus")}


def test_a_trickled_ndjson_body_holds_up_no_other_upload_and_is_stored_when_complete(web):
    port, database = web
    slow_body = lines("slow", 20)
    slow = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        head = (
            "POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-ndjson\r\n"
            f"Content-Length: {len(slow_body)}\r\n\r\n"
        )
        slow.sendall(head.encode() + slow_body[:100])
        time.sleep(0.5)  # the slow request is in a worker, waiting for the rest of its body

        started = time.monotonic()
        status, report = post(port, lines("quick", 50), timeout=20)
        assert status == 202 and report["accepted"] == 50
        assert time.monotonic() - started < 10
        assert not any(name.startswith("slow") for name in stored(database))

        for i in range(100, len(slow_body), 400):
            slow.sendall(slow_body[i : i + 400])
            time.sleep(0.05)
        answer = slow.makefile("rb").readline()
        assert answer.startswith(b"HTTP/1.1 202")
    finally:
        slow.close()
    assert {f"slow{i}.example" for i in range(20)} <= stored(database)
