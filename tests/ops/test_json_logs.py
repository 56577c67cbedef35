"""VACMON_JSON_LOGS=true turns every log line into one JSON object (checked in a fresh
process, because logging is configured once at start-up)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import logging, django
django.setup()
log = logging.getLogger("vacmon.ingest")
log.warning("rejected message from %s: %s", "192.0.2.1", '<b>"x"</b>')
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("vacmon.store").exception("write failed")
"""


def run(json_logs: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "vacmon.settings", "VACMON_JSON_LOGS": json_logs}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_json_logs_are_one_object_per_line():
    result = run("true")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert len(lines) == 2
    first, second = lines
    assert first["level"] == "WARNING" and first["logger"] == "vacmon.ingest"
    assert first["message"] == 'rejected message from 192.0.2.1: <b>"x"</b>'
    assert first["time"].endswith("Z")
    assert second["message"] == "write failed"
    assert "ZeroDivisionError" in second["exception"]


def test_plain_logs_are_the_default():
    result = run("false")
    assert result.returncode == 0, result.stderr
    assert "WARNING vacmon.ingest rejected message from 192.0.2.1" in result.stderr
    assert not any(line.startswith("{") for line in result.stderr.splitlines())


def test_a_bad_value_stops_start_up_naming_the_variable():
    result = run("sometimes")
    assert result.returncode != 0
    assert "VACMON_JSON_LOGS" in result.stderr
