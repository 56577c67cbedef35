"""The store step of ingest, shared by UDP and HTTP: write one batch of accepted messages
and count what became of it.

This is the one place where a batch's outcome is counted: `accepted` and `duplicates` for
each write that succeeds (counted under the write lock, in the same turn at the database),
`rejected`/`unstorable` for each message the store refuses for good (quarantined, its
neighbours stored: vacmon.ingest.isolate), and the write's latency. The edges differ only
in how long a store that is away is waited for (`Persistent` for UDP, where nobody waits
for an answer; `Brief` for HTTP, whose client is answered 503 and sends again).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from factories.messages import Message
from vacmon.ingest.counters import Counters, record_write
from vacmon.ingest.isolate import GiveUp, Isolated, write_isolating
from vacmon.ingest.quarantine import Held, quarantine
from vacmon.ingest.ratelog import RateLimitedLog
from vacmon.store.base import WriteResult
from vacmon.store.faults import Backoff, describe, is_transient
from vacmon.store.writelock import write_lock

log = logging.getLogger("vacmon.ingest")

Writer = Callable[[Sequence[Message]], WriteResult]
# The store's `prepare`: the part of a write that needs no database, done before the lock.
Prepare = Callable[[Sequence[Message]], Sequence[Message]]


class WriterStuck(GiveUp):
    """The store stayed unavailable past the stop deadline; `held` was not written."""

    def __init__(self, held: list[Held], last_error: str) -> None:
        super().__init__(f"{len(held)} messages not written: {last_error}")
        self.held = held
        self.last_error = last_error


class Channel(Protocol):
    """What a batch is counted in: its channel's parser (vacmon.ingest.pipeline.Parser),
    with the counters, the rejection log and the dedup of what it parsed."""

    channel: str
    counters: Counters
    ratelog: RateLimitedLog

    def forget(self, messages: Iterable[Message]) -> None: ...


class Retry(Protocol):
    """How long a transiently failing write is tried again."""

    def backoff(self) -> Backoff: ...

    def wait(self, exc: Exception, failures: int, n: int, delay: float) -> None:
        """Sleep `delay` before the next try, or raise to give the batch up."""


class Persistent:
    """For as long as the store is away, nothing dropped; only a stop deadline
    (`give_up_at`, monotonic) ends the wait, with WriterStuck."""

    def __init__(self) -> None:
        self.give_up_at: float | None = None

    def backoff(self) -> Backoff:
        return Backoff(first=0.1, most=5.0)

    def wait(self, exc: Exception, failures: int, n: int, delay: float) -> None:
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


class Brief:
    """A client waits for this answer: a few short tries, then the last error is raised
    (HTTP answers 503 and the client sends again)."""

    def __init__(self, tries: int = 4) -> None:
        self.tries = tries

    def backoff(self) -> Backoff:
        return Backoff(first=0.05, most=0.5)

    def wait(self, exc: Exception, failures: int, n: int, delay: float) -> None:
        if failures >= self.tries:
            raise exc
        time.sleep(delay)


class BatchStore:
    """Writes batches of held messages for one parser's channel and counts the outcome in
    that parser's counters. Keys of messages that were not stored (the store away, or
    refusing them) are forgotten by the parser's dedup, so that sending them again is
    not mistaken for a duplicate."""

    def __init__(
        self,
        parser: Channel,
        write: Writer,
        *,
        retry: Retry,
        lock: Callable[[], AbstractContextManager[object]] = write_lock,
        on_written: Callable[[list[Message]], None] | None = None,
        prepare: Prepare | None = None,
    ) -> None:
        self.parser = parser
        self.write = write
        self.retry = retry
        self.lock = lock
        self.on_written = on_written
        self.prepare = prepare

    def store(self, held: Sequence[Held]) -> Isolated:
        """Write `held`; return what was inserted, already there, and poisoned (by index).
        With nothing to write it still saves what the parser counted."""
        counters = self.parser.counters
        if not held:
            with self.lock():
                counters.flush()
            return Isolated()
        messages = [h.message for h in held]
        try:
            isolated = write_isolating(self._write_retrying, self._prepared(messages))
        except WriterStuck as exc:
            self.parser.forget(messages)
            raise WriterStuck(list(held), exc.last_error) from None
        except Exception:
            self.parser.forget(messages)
            raise
        if isolated.poisoned:
            poisoned = [(held[i], reason) for i, reason in isolated.poisoned]
            self.parser.forget([h.message for h, _ in poisoned])
            with self.lock():
                quarantine(self.parser.channel, poisoned, counters, self.parser.ratelog)
                counters.flush()
        if self.on_written is not None:
            bad = {i for i, _ in isolated.poisoned}
            self.on_written([m for i, m in enumerate(messages) if i not in bad])
        return isolated

    def _prepared(self, messages: list[Message]) -> Sequence[Message]:
        """`messages` prepared for the store, outside the lock: on SQLite the workers take
        turns at the one writer, and one builds its rows while another writes."""
        if self.prepare is None:
            return messages
        try:
            return self.prepare(messages)
        except Exception:
            # A message that breaks the preparing breaks the write too, where the poison
            # split (vacmon.ingest.isolate) sets it aside and stores the rest.
            log.debug("preparing a batch failed; it is written unprepared", exc_info=True)
            return messages

    def _write_retrying(self, messages: Sequence[Message]) -> WriteResult:
        """One write, tried again while it fails transiently; the lock is held only for
        each try, never while waiting."""
        backoff = self.retry.backoff()
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
            self.retry.wait(error, failures, len(messages), backoff.next_delay())

    def _count(self, result: WriteResult) -> None:
        counters, channel = self.parser.counters, self.parser.channel
        counters.add(channel, "accepted", n=result.inserted)
        counters.add(channel, "duplicates", n=result.duplicates)
        counters.flush()
