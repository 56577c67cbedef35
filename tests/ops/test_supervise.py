"""runservice's stop: SIGTERM to each part, the grace to finish, and only then a reported
kill of a part that is stuck, its whole process group with it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from vacmon.ops.supervise import stop_children

POLITE = "import time\nwhile True: time.sleep(0.1)"
# Ignores SIGTERM and starts a grandchild that ignores it too, as a stuck part would.
STUCK = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time\\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\\ntime.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""


def start(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True
    )


def alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" not in status.read_text()


def test_parts_that_stop_on_sigterm_stop_without_a_report():
    reports: list[str] = []
    children = {"web": start(POLITE), "beat": start(POLITE)}
    time.sleep(0.2)

    assert stop_children(children, 5, reports.append)

    assert reports == []
    assert all(child.returncode is not None for child in children.values())


def test_a_stuck_part_is_reported_then_killed_with_its_whole_group():
    reports: list[str] = []
    stuck = start(STUCK)
    grandchild = int(stuck.stdout.readline())
    children = {"udp": stuck, "web": start(POLITE)}
    started = time.monotonic()

    assert not stop_children(children, 1.0, reports.append)

    assert time.monotonic() - started < 5
    assert len(reports) == 1 and reports[0].startswith(f"udp (pid {stuck.pid}) did not stop")
    deadline = time.monotonic() + 3
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild), "the stuck part's own child outlived it"
    assert children["web"].returncode is not None
