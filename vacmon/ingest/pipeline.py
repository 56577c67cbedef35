"""Parse -> deduplicate -> batch -> store: the part of ingest shared by UDP and HTTP.

The socket side only appends raw datagrams to a byte-bounded buffer (vacmon.ingest.buffer);
a writer thread parses and writes them in batches, so a slow database write never stalls
`recvfrom` (spec 9.3). Accepted messages stay in memory until the store has them: a write
that fails transiently is retried, and a message the store can never take is quarantined
without holding up its batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from factories.messages import Message, Rejected, decode_datagram, normalise
from vacmon.ingest.buffer import RawBuffer
from vacmon.ingest.counters import Counters
from vacmon.ingest.isolate import GiveUp, write_isolating
from vacmon.ingest.names import NameBudget
from vacmon.ingest.quarantine import Held, quarantine
from vacmon.ingest.ratelog import RateLimitedLog
from vacmon.ops.metrics import flush_writes, record_write
from vacmon.store.base import WriteResult
from vacmon.store.faults import Backoff, describe, is_transient
from vacmon.store.writelock import write_lock

log = logging.getLogger("vacmon.ingest")

Writer = Callable[[Sequence[Message]], WriteResult]


class Gate(Protocol):
    """Rate limits and trust policy around parsing (see vacmon.trust.gate.IngestGate)."""

    def admit(self, source: str, now: float) -> None: ...

    def trusted(self, obj: object, source: str, now: float) -> bool: ...


class RecentKeys:
    """Natural keys seen lately: version-logger bursts (5 copies in 5 s) and several
    destinations arrive close together, so most duplicates never reach the database."""

    def __init__(self, size: int = 200_000) -> None:
        self.size = size
        # A plain dict keeps insertion order and is faster than OrderedDict here.
        self._keys: dict[tuple[object, ...], None] = {}

    def seen(self, key: tuple[object, ...]) -> bool:
        keys = self._keys
        if key in keys:
            return True
        keys[key] = None
        if len(keys) > self.size:
            del keys[next(iter(keys))]
        return False


@dataclass
class Outcome:
    message: Message | None
    rejection: Rejected | None = None
    duplicate: bool = False


class Parser:
    """Turns raw datagrams into messages, counting and (rate-limited) logging rejections."""

    def __init__(
        self,
        counters: Counters,
        channel: str,
        skew_seconds: int = 300,
        gate: Gate | None = None,
        names: NameBudget | None = None,
    ) -> None:
        self.counters = counters
        self.names = names
        self.channel = channel
        self.skew_seconds = skew_seconds
        self.gate = gate
        self.recent = RecentKeys()
        self.ratelog = RateLimitedLog()

    def parse(self, data: bytes, source: str, received: float) -> Outcome:
        self.counters.add(self.channel, "received")
        gate = self.gate
        try:
            if gate is not None:
                gate.admit(source, received)
            obj = decode_datagram(data)
            # Trust is decided on the raw object: the signature covers the message as sent.
            trusted = gate.trusted(obj, source, received) if gate is not None else False
            message = normalise(
                obj, received=int(received), skew_seconds=self.skew_seconds, trusted=trusted
            )
            if self.names is not None:
                self.names.check(message, source, received)
        except Rejected as exc:
            self.reject(exc, source, received)
            return Outcome(None, rejection=exc)
        except Exception as exc:
            log.exception("internal error parsing a datagram from %s", source)
            error = Rejected("internal_error", f"{type(exc).__name__} while parsing")
            self.reject(error, source, received)
            return Outcome(None, rejection=error)
        return self.check_duplicate(message)

    def accept(self, data: bytes, source: str, received: float) -> Message | None:
        """The message in `data` if it is valid and not seen lately, else None (counted)."""
        outcome = self.parse(data, source, received)
        return None if outcome.duplicate else outcome.message

    def reject(self, exc: Rejected, source: str, now: float) -> None:
        self.counters.add(self.channel, "rejected", exc.reason)
        self.ratelog.rejected(source, exc.reason, exc.detail, now)

    def check_duplicate(self, message: Message) -> Outcome:
        if self.recent.seen(message.key):
            self.counters.add(self.channel, "duplicates")
            return Outcome(message, duplicate=True)
        if message.skewed:
            self.counters.add(self.channel, "skewed")
        return Outcome(message)


class WriterStuck(GiveUp):
    """The store stayed unavailable past the stop deadline; `held` was not written."""

    def __init__(self, held: list[Held], last_error: str) -> None:
        super().__init__(f"{len(held)} messages not written: {last_error}")
        self.held = held
        self.last_error = last_error


class BatchWriter:
    """A thread that drains raw datagrams, parses them and writes accepted messages.

    A transient store error is retried with backoff, the write lock let go while waiting;
    a message the store refuses for good is quarantined and the rest of its batch stored
    (vacmon.ingest.isolate)."""

    def __init__(
        self,
        parser: Parser,
        write: Writer,
        *,
        batch_size: int = 5000,
        max_delay: float = 0.25,
        buffer_bytes: int = 48 << 20,
        on_written: Callable[[list[Message]], None] | None = None,
        lock: Callable[[], AbstractContextManager[object]] = write_lock,
    ) -> None:
        self.parser = parser
        self.write = write
        self.batch_size = batch_size
        self.max_delay = max_delay
        self.on_written = on_written
        self.lock = lock
        self.raw = RawBuffer(buffer_bytes)
        # When set (by stop), a write still failing at that monotonic time gives up.
        self.give_up_at: float | None = None
        self.stuck: WriterStuck | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vacmon-writer", daemon=True)

    @property
    def counters(self) -> Counters:
        return self.parser.counters

    def start(self) -> None:
        self._thread.start()

    def submit(self, data: bytes, source: str, received: float) -> bool:
        """Queue one datagram; False (and counted) when the buffer is full."""
        if self.raw.put(data, source, received):
            return True
        self.parser.counters.add(self.parser.channel, "rejected", "queue_full")
        return False

    def stop(self, timeout: float | None = None) -> bool:
        """Stop after writing everything already queued; True when it all went in. A
        store still unavailable after `timeout` leaves the rest in `raw` (see `stuck`)."""
        if timeout is not None:
            self.give_up_at = time.monotonic() + timeout
        self._stop.set()
        self._thread.join(None if timeout is None else timeout + 1.0)
        return self.stuck is None and not self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if not self.raw:
                    self._stop.wait(self.max_delay)
                    continue
                self.flush_once()
            while self.raw:
                self.flush_once()
        except WriterStuck as exc:
            self.stuck = exc
            # Back in the queue, in order, for whoever reports (or spills) what is left.
            self.raw.put_back([(h.raw, h.source, h.received) for h in exc.held])
            return
        self.parser.counters.flush()
        flush_writes()

    def flush_once(self) -> int:
        """Parse and write up to one batch of queued datagrams; return how many were stored."""
        pending: list[Held] = []
        raw = self.raw
        accept = self.parser.accept
        while raw and len(pending) < self.batch_size:
            data, source, received = raw.popleft()
            message = accept(data, source, received)
            if message is not None:
                pending.append(Held(message, data, source, received))
        return self.store(pending)

    def store(self, held: list[Held]) -> int:
        counters = self.parser.counters
        if not held:
            with self.lock():
                counters.flush()
            return 0
        messages = [h.message for h in held]
        try:
            isolated = write_isolating(self._write_retrying, messages)
        except WriterStuck as exc:
            raise WriterStuck(held, exc.last_error) from None
        if isolated.poisoned:
            poisoned = [(held[i], reason) for i, reason in isolated.poisoned]
            with self.lock():
                quarantine(self.parser.channel, poisoned, counters, self.parser.ratelog)
                counters.flush()
        if self.on_written is not None:
            bad = {i for i, _ in isolated.poisoned}
            self.on_written([m for i, m in enumerate(messages) if i not in bad])
        return isolated.inserted

    def _write_retrying(self, messages: Sequence[Message]) -> WriteResult:
        """One write, tried again while it fails transiently; the lock is held only for
        each try, never while waiting."""
        backoff = Backoff(first=0.1, most=5.0)
        failures = 0
        while True:
            with self.lock():
                started = time.perf_counter()
                try:
                    result = self.write(messages)
                except Exception as exc:
                    if not is_transient(exc):
                        raise
                    error = exc
                else:
                    # Its counts and statistics go in while the lock is still held: one
                    # turn at the database per batch, not two.
                    record_write(time.perf_counter() - started, len(messages))
                    self._count(result)
                    return result
            failures += 1
            self._wait_to_retry(error, failures, len(messages), backoff.next_delay())

    def _count(self, result: WriteResult) -> None:
        counters, channel = self.parser.counters, self.parser.channel
        counters.add(channel, "accepted", n=result.inserted)
        counters.add(channel, "duplicates", n=result.duplicates)
        counters.flush()

    def _wait_to_retry(self, exc: Exception, failures: int, n: int, delay: float) -> None:
        # The first failure and then one in twenty: a database away for an hour must not
        # fill the log, but it must be plain that ingest is waiting for it.
        if failures == 1 or failures % 20 == 0:
            log.warning(
                "store write of %d messages failed (%d tries so far), retrying: %s",
                n,
                failures,
                describe(exc),
            )
        if self.give_up_at is not None and time.monotonic() + delay > self.give_up_at:
            raise WriterStuck([], describe(exc))
        time.sleep(delay)
