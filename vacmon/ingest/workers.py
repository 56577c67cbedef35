"""Parse-and-write worker processes for the UDP listener.

Python runs one thread at a time, so a receive loop that also parses and writes cannot use
the second core and falls behind a burst (the kernel then drops datagrams). Here the
listening process only receives and hands raw datagrams, in chunks, to worker processes
that parse, deduplicate and write in batches. Each worker has its own database connection;
on SQLite their short write transactions queue on one file lock (vacmon.store.writelock).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from vacmon.ingest.counters import Counters
from vacmon.ingest.pipeline import Parser, Writer
from vacmon.ingest.quarantine import Held
from vacmon.ops.metrics import flush_writes

log = logging.getLogger("vacmon.ingest")

Raw = tuple[bytes, str, float]
CHUNK = 256


class WorkerPool:
    """Receives raw datagrams from the socket loop and feeds them to worker processes."""

    def __init__(
        self,
        workers: int,
        make_writer: Callable[[], Writer],
        *,
        skew_seconds: int = 300,
        batch_size: int = 5000,
        queue_limit: int = 1_000_000,
    ) -> None:
        from django.db import connections

        connections.close_all()  # never share a database connection across fork
        ctx = mp.get_context("fork")
        self.queue_limit = queue_limit
        self.raw: deque[Raw] = deque()
        self.counters = Counters()
        self._pipes: list[Connection] = []
        self._procs: list[Any] = []
        for index in range(workers):
            receive, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(
                target=_worker_main,
                args=(receive, make_writer, skew_seconds, batch_size),
                name=f"vacmon-ingest-{index}",
                daemon=False,
            )
            proc.start()
            receive.close()
            self._pipes.append(send)
            self._procs.append(proc)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._dispatch, name="vacmon-dispatch")

    def start(self) -> None:
        self._thread.start()

    def submit(self, data: bytes, source: str, received: float) -> bool:
        if len(self.raw) >= self.queue_limit:
            self.counters.add("udp", "rejected", "queue_full")
            return False
        self.raw.append((data, source, received))
        return True

    def _dispatch(self) -> None:
        turn = 0
        raw = self.raw
        while not (self._stop.is_set() and not raw):
            if not raw:
                time.sleep(0.005)
                continue
            n = min(len(raw), CHUNK)
            chunk = [raw.popleft() for _ in range(n)]
            # Blocks while that worker is busy, which is what keeps memory bounded by the
            # queue limit rather than by the pipes.
            self._pipes[turn].send(chunk)
            turn = (turn + 1) % len(self._pipes)

    def stop(self, timeout: float = 120.0) -> None:
        """Write everything already received, then end the workers."""
        self._stop.set()
        self._thread.join()
        for pipe in self._pipes:
            pipe.send(None)
            pipe.close()
        for proc in self._procs:
            proc.join(timeout)
        self.counters.flush()


def udp_gate() -> Any:
    from vacmon.trust.gate import IngestGate

    return IngestGate.for_udp()


def _worker_main(
    pipe: Connection,
    make_writer: Callable[[], Writer],
    skew_seconds: int,
    batch_size: int,
) -> None:
    import signal

    from vacmon.ingest.pipeline import BatchWriter

    # The parent decides when to stop; a terminal Ctrl-C must not kill a worker mid-batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    parser = Parser(Counters(), "udp", skew_seconds, udp_gate())
    # SQLite writers queue on one file lock (vacmon.store.writelock), held for each write
    # and never while a failed write waits to be retried.
    writer = BatchWriter(parser, make_writer(), batch_size=batch_size)
    pending: list[Held] = []
    while True:
        chunk = pipe.recv()
        if chunk is None:
            break
        for data, source, received in chunk:
            message = parser.accept(data, source, received)
            if message is not None:
                pending.append(Held(message, data, source, received))
        # Write when the batch is full or nothing more is waiting: low latency when quiet,
        # large batches under load.
        if len(pending) >= batch_size or not pipe.poll():
            writer.store(pending)
            pending = []
    writer.store(pending)
    parser.counters.flush()
    flush_writes()
