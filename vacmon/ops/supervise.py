"""Stopping the parts `runservice` started: each gets SIGTERM and the grace to finish; one
still running after it is named on stderr, with what it was asked, and only then is its
whole process group killed (each part runs in its own session, so a part's own children,
the UDP listener's workers say, never outlive it)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping


def stop_children(
    children: Mapping[str, subprocess.Popen[bytes]],
    grace: float,
    report: Callable[[str], object],
) -> bool:
    """SIGTERM every running child and wait up to `grace` seconds for all of them; True
    when each stopped by itself."""
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    clean = True
    for name, child in children.items():
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            clean = False
            report(
                f"{name} (pid {child.pid}) did not stop within {grace:g} s of SIGTERM; "
                "killing it and its process group: see its log for what it still held"
            )
            _kill_group(child)
            child.wait()
        else:
            clean = not _left_behind(name, child, report) and clean
    return clean


def _left_behind(
    name: str, child: subprocess.Popen[bytes], report: Callable[[str], object]
) -> bool:
    """Whether a part that stopped left processes in its group (they are killed)."""
    if not _group_alive(child.pid):
        return False
    report(f"{name} left processes behind in its group; killing them")
    _kill_group(child)
    return True


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        if child.poll() is None:
            child.kill()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
