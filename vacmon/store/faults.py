"""Which store errors pass and which never will: the rule behind "a poison message costs one
message".

A transient error (the database is locked or unreachable, the cluster answers 429 or 5xx)
says nothing about the messages: the same write is tried again later, with backoff, and
nothing is dropped. Any other error is taken to be about the data (a value the database
cannot hold, a body the cluster refuses, a structure our own encoder cannot serialise): the
batch is split until the message that causes it is found and set aside (ingest.isolate).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import InterfaceError, OperationalError

R = TypeVar("R")

# SQLSTATE classes of PostgreSQL errors that pass: connection exceptions, transaction
# rollbacks (serialisation failures, deadlocks), insufficient resources, object not in
# prerequisite state (lock not available), operator intervention (shutdown) and system
# errors. Class 54 (program limit exceeded: a row or a stack too big) is an
# OperationalError to psycopg but is about the row, so it does not pass.
_PASSING_SQLSTATE = ("08", "40", "53", "55", "57", "58")
# Cluster answers that a later attempt may not draw again.
_PASSING_STATUS = (0, 408, 429)


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` may pass if the same write is simply tried again later."""
    if isinstance(exc, InterfaceError):
        return True  # the connection is gone; a new one is opened on the next try
    if isinstance(exc, OperationalError):
        sqlstate = getattr(exc.__cause__, "sqlstate", None)
        return sqlstate is None or str(sqlstate)[:2] in _PASSING_SQLSTATE
    status = getattr(exc, "unavailable_status", None)
    if status is not None:
        return status in _PASSING_STATUS or status >= 500
    return isinstance(exc, (ConnectionError, TimeoutError))


def describe(exc: BaseException, limit: int = 500) -> str:
    """The error in one bounded line, safe to store and log (no NUL, no newline)."""
    try:
        text = str(exc)
    except Exception:  # an exception whose str() fails says at least what it is
        text = ""
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line.replace("\x00", "").replace("\n", " ")[:limit]


@dataclass
class Backoff:
    """Doubling delays from `first` up to `most`; `reset()` after a success."""

    first: float = 0.05
    most: float = 5.0
    _next: float = 0.0

    def next_delay(self) -> float:
        self._next = self.first if self._next == 0.0 else min(self._next * 2, self.most)
        return self._next

    def reset(self) -> None:
        self._next = 0.0


def retry_transient(
    attempt: Callable[[], R],
    *,
    tries: int,
    backoff: Backoff | None = None,
    sleep: Callable[[float], object] = time.sleep,
    on_retry: Callable[[BaseException, float], object] | None = None,
) -> R:
    """`attempt()`, tried up to `tries` times while it fails transiently; a permanent
    error, or the last transient one, is raised."""
    wait = backoff or Backoff()
    for left in range(tries - 1, -1, -1):
        try:
            return attempt()
        except Exception as exc:
            if left == 0 or not is_transient(exc):
                raise
            delay = wait.next_delay()
            if on_retry is not None:
                on_retry(exc, delay)
            sleep(delay)
    raise AssertionError("unreachable: the last try returns or raises")
