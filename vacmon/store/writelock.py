"""One writer at a time on SQLite, handed over at once and fairly between processes.

SQLite takes one writer at a time, and a writer that finds it busy polls, sleeping up to
100 ms between tries. Ingest workers that hand the database to each other directly would
then starve every other writer (rollups, purges) until its busy timeout ran out: that was
`database is locked` from the rollup builder under load. An exclusive flock on a file beside the
database queues every writer in the kernel instead, and wakes the next as soon as the
holder lets go. Each acquisition opens the file anew, so threads and forked processes each
hold their own lock. Other databases lock rows, not the file, and need none of this.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

from django.conf import settings
from django.db import connections


def lock_path(alias: str = "default") -> str | None:
    """The lock file of a SQLite database, or None when no file lock is wanted: on other
    databases, and when messages go to Elasticsearch (its bulk sends must not queue behind
    each other; only counters then reach the database)."""
    if getattr(settings, "ELASTICSEARCH_URL", ""):
        return None
    connection = connections[alias]
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or name.startswith(":memory:"):
        return None
    if "mode=memory" in name:
        return None
    return f"{name}.write-lock"


@contextlib.contextmanager
def write_lock(alias: str = "default") -> Iterator[None]:
    """Hold the database's write lock for the block (nothing to hold off SQLite)."""
    path = lock_path(alias)
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock
