"""A page's independent reads, made at the same time when the store is a cluster.

On Elasticsearch each read is a round trip, and the cluster computes, serialises and sends
one answer while this process decodes and sums another, so a page's reads made together
take about as long as the slowest of them plus the parsing. The embedded store's queries run
in this process on this request's database connection (and, in tests, inside its
transaction), so there they run one after the other, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import connections

from vacmon.store import get_store

T = TypeVar("T")


def together(*reads: Callable[[], Any]) -> list[Any]:
    """The result of each read, in order; an exception from one is raised as it would be if
    the reads ran one after the other (the first failing read's, in order)."""
    if len(reads) < 2 or not get_store().concurrent_reads:
        return [read() for read in reads]
    # Threads of this call only (a few tens of microseconds each), not a shared pool: reads
    # made together nest (a page's chart reads its settled and newest parts together), and
    # a pool's worker waiting for work queued behind it could wait for ever.
    with ThreadPoolExecutor(max_workers=len(reads), thread_name_prefix="vacmon-read") as pool:
        futures = [pool.submit(_run, read) for read in reads]
        return [future.result() for future in futures]


def _run(read: Callable[[], T]) -> T:
    try:
        return read()
    finally:
        # A read that touched the database opened a connection of this thread's own; it
        # must not outlive the thread.
        connections.close_all()
