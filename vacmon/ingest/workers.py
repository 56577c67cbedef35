"""Parse-and-write worker processes for the UDP listener.

Python runs one thread at a time, so a receive loop that also parses and writes cannot use
the second core and falls behind a burst (the kernel then drops datagrams). Here the
listening process only receives and hands raw datagrams, in chunks, to worker processes
that parse, deduplicate and write in batches. Each worker has its own database connection;
on SQLite they take turns at writing (see WorkerPool).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from multiprocessing.connection import Connection
from typing import Any

from vacmon.ingest.batch import Writer
from vacmon.ingest.buffer import Intake, Raw, RawBuffer
from vacmon.ingest.counters import Counters, flush_writes
from vacmon.ingest.name_refusals import budget_from_settings
from vacmon.ingest.pipeline import Parser
from vacmon.ingest.quarantine import Held
from vacmon.ingest.spill import spill
from vacmon.store.writelock import write_lock

log = logging.getLogger("vacmon.ingest")

CHUNK = 256
# How long a worker holding parsed messages waits for more before writing them.
LINGER = 0.02


class WorkerPool(Intake):
    """Receives raw datagrams from the socket loop and feeds them to worker processes."""

    def __init__(
        self,
        workers: int,
        make_writer: Callable[[], Writer],
        *,
        skew_seconds: int = 300,
        batch_size: int = 5000,
        buffer_bytes: int = 40 << 20,
        grace: float = 25.0,
    ) -> None:
        from django.db import connections

        connections.close_all()  # never share a database connection across fork
        ctx = mp.get_context("fork")
        # The workers hand the database to each other through a lock of their own, which
        # passes at once (a semaphore), and only the holder queues on the database's file
        # lock beside rollups and HTTP ingest (vacmon.store.writelock); measured on
        # bench/ingest.py, workers queueing on the file lock alone lost a quarter of the
        # sustained rate.
        pool_lock = ctx.Lock() if connections["default"].vendor == "sqlite" else None
        self.raw = RawBuffer(buffer_bytes)
        self.counters = Counters()
        self._pipes: list[Connection] = []
        self._procs: list[Any] = []
        for index in range(workers):
            receive, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(
                target=_worker_main,
                args=(
                    receive,
                    [*self._pipes, send],
                    make_writer,
                    skew_seconds,
                    batch_size,
                    grace,
                    pool_lock,
                ),
                name=f"vacmon-ingest-{index}",
                daemon=False,
            )
            proc.start()
            receive.close()
            self._pipes.append(send)
            self._procs.append(proc)
        self._stop = threading.Event()
        self._in_flight: list[Raw] = []
        # A daemon: a send blocked on a stuck worker must not keep the process alive.
        self._thread = threading.Thread(target=self._dispatch, name="vacmon-dispatch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _dispatch(self) -> None:
        turn = 0
        raw = self.raw
        while not (self._stop.is_set() and not raw):
            if not raw:
                time.sleep(0.005)
                continue
            self._in_flight = raw.take(CHUNK)
            # Blocks while that worker is busy, which is what keeps memory bounded by the
            # buffer's limit rather than by the pipes.
            try:
                self._pipes[turn].send(self._in_flight)
            except (OSError, ValueError):
                return  # stop() closed the pipe of a stuck worker; it spills in_flight
            self._in_flight = []
            turn = (turn + 1) % len(self._pipes)

    def stop(self, timeout: float = 120.0) -> bool:
        """Write everything already received, then end the workers, all within about
        `timeout`; True when everything went in. What a store that stays away keeps from
        being written is spilled (vacmon.ingest.spill), never dropped, and a worker that
        does not end is reported before it is killed."""
        self._stop.set()
        self._thread.join(timeout)
        dispatched = not self._thread.is_alive()
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()  # starts the worker's own deadline (see _worker_main)
        if dispatched:
            for pipe in self._pipes:
                # End of input, after what the pipe already holds. From a thread of its
                # own: the pipe of a worker stuck on the store is full, and this send
                # waits until the worker gives up and drains it.
                threading.Thread(target=_end_of_input, args=(pipe,), daemon=True).start()
        clean = dispatched
        for proc in self._procs:
            proc.join(timeout + 5.0)
            clean = _reap(proc) and clean
        for pipe in self._pipes:
            pipe.close()
        if not dispatched:
            spill([*self._in_flight, *self.raw], "workers did not take them in time")
        self.counters.flush()
        return clean


def _end_of_input(pipe: Connection) -> None:
    with contextlib.suppress(OSError, ValueError):  # closed under us: the worker is gone
        pipe.send(None)


def _reap(proc: Any) -> bool:
    if proc.is_alive():
        log.error(
            "ingest worker %s (pid %s) did not stop in time: a store write it started never "
            "returned, and the batch it held is lost; killing it",
            proc.name,
            proc.pid,
        )
        proc.kill()
        proc.join(5.0)
        return False
    if proc.exitcode != 0:
        log.error("ingest worker %s (pid %s) exited with %s", proc.name, proc.pid, proc.exitcode)
    return proc.exitcode == 0


def udp_gate() -> Any:
    from vacmon.trust.gate import IngestGate

    return IngestGate.for_udp()


def _worker_main(
    pipe: Connection,
    senders: list[Connection],
    make_writer: Callable[[], Writer],
    skew_seconds: int,
    batch_size: int,
    grace: float,
    pool_lock: Any,
) -> None:
    import signal

    from vacmon.ingest.batch import WriterStuck
    from vacmon.ingest.pipeline import BatchWriter
    from vacmon.publisher.first import NewSpaces
    from vacmon.store import get_store

    for inherited in senders:
        inherited.close()  # only the parent writes: its exit must read as end of input here
    parser = Parser(Counters(), "udp", skew_seconds, udp_gate(), budget_from_settings())
    # Held for each write and never while a failed write waits to be retried.
    writer = BatchWriter(
        parser,
        make_writer(),
        batch_size=batch_size,
        lock=_locks(pool_lock),
        on_written=NewSpaces(),
        prepare=get_store().prepare,
    )

    def deadline(*_: Any) -> None:
        # SIGTERM (from the parent, or to the whole group from systemd) does not end the
        # worker at once: it keeps reading until the parent closes the pipe, and a write
        # that keeps failing gives up `grace` seconds from now, its batch spilled.
        if writer.give_up_at is None:
            writer.give_up_at = time.monotonic() + grace

    # A terminal Ctrl-C reaches the whole group; the parent decides when to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, deadline)
    try:
        _work(pipe, parser, writer, batch_size, deadline)
    except WriterStuck as exc:
        held = [(h.raw, h.source, h.received) for h in exc.held]
        spill([*held, *_drain(pipe)], exc.last_error)
        raise SystemExit(3) from None
    parser.counters.flush()
    flush_writes()


def _locks(pool_lock: Any) -> Callable[[], AbstractContextManager[object]]:
    """The pool's own lock, then the database's file lock."""

    @contextlib.contextmanager
    def both() -> Iterator[None]:
        with pool_lock, write_lock():
            yield

    return write_lock if pool_lock is None else both


def _work(
    pipe: Connection, parser: Parser, writer: Any, batch_size: int, deadline: Callable[[], None]
) -> None:
    pending: list[Held] = []
    while True:
        try:
            chunk = pipe.recv()
        except EOFError:
            chunk = None  # the parent died, or gave up on a stuck dispatch
        if chunk is None:
            # Write what is held, and give up (spilling it) if the store stays away.
            deadline()
            break
        for data, source, received in chunk:
            message = parser.accept(data, source, received)
            if message is not None:
                pending.append(Held(message, data, source, received))
        # Write when the batch is full or nothing more comes within LINGER: low latency when
        # quiet, large batches under load. Without the wait a worker found its pipe empty
        # whenever the dispatcher was feeding the other one, and wrote batches of about 300
        # (bench/ingest.py), each paying a transaction and its counters.
        if len(pending) >= batch_size or not pipe.poll(LINGER):
            writer.store(pending)
            pending = []
    writer.store(pending)


def _drain(pipe: Connection) -> list[Raw]:
    """What is still readable from a closed pipe (the parent sent it, nobody read it)."""
    out: list[Raw] = []
    try:
        while pipe.poll(0.5):
            chunk = pipe.recv()
            if chunk is None:
                break
            out.extend(chunk)
    except (EOFError, OSError):
        pass
    return out
