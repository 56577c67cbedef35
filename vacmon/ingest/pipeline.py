"""Parse -> trust gate -> name budget -> dedup: the steps UDP and HTTP share before a batch
is stored (vacmon.ingest.batch), and the writer thread that drives them for UDP.

Both edges hand each message, as received, to `Parser.parse` (an HTTP JSON array's items,
already decoded, to `Parser.parse_value`): the parser counts it received, and rejected
with its reason or as a duplicate, in the one set of counters the store step also counts
in. The UDP socket side only appends raw datagrams to a byte-bounded buffer
(vacmon.ingest.buffer); a writer thread parses and writes them in batches, so a slow
database write never stalls `recvfrom` (spec 9.3).
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from factories.messages import Message, Rejected, decode_datagram, normalise
from vacmon.ingest.batch import BatchStore, Persistent, Prepare, Writer, WriterStuck
from vacmon.ingest.buffer import Intake, RawBuffer
from vacmon.ingest.counters import Counters, flush_writes
from vacmon.ingest.names import NameBudget
from vacmon.ingest.quarantine import Held
from vacmon.ingest.ratelog import RateLimitedLog
from vacmon.ingest.recent import RecentSet
from vacmon.store.writelock import write_lock

__all__ = ["BatchWriter", "Gate", "Outcome", "Parser", "RecentKeys", "Writer", "WriterStuck"]

log = logging.getLogger("vacmon.ingest")


class Gate(Protocol):
    """Rate limits and trust policy around parsing (vacmon.trust.gate: IngestGate for UDP,
    HttpGate for an HTTP request's sender)."""

    def admit(self, source: str, now: float) -> None: ...

    def trusted(self, obj: object, source: str, now: float) -> bool: ...

    def check(self, message: Message) -> None:
        """Raise Rejected when this sender may not send `message` (its site, say)."""


class RecentKeys:
    """Natural keys seen lately: version-logger bursts (5 copies in 5 s) and several
    destinations arrive close together, so most duplicates never reach the database.
    Between `size // 2` and `size` of the newest keys are remembered (vacmon.ingest.recent);
    a duplicate older than that is still one, found by the store's unique key."""

    def __init__(self, size: int = 200_000) -> None:
        self.size = size
        self._keys = RecentSet(size)

    def seen(self, key: tuple[object, ...]) -> bool:
        keys = self._keys
        if key in keys:
            return True
        keys.add(key)
        return False

    def forget(self, keys: Iterable[tuple[object, ...]]) -> None:
        """Unsee keys whose messages were not stored, so that a resend is taken."""
        for key in keys:
            self._keys.discard(key)


@dataclass
class Outcome:
    message: Message | None
    rejection: Rejected | None = None
    duplicate: bool = False


class Parser:
    """Turns what an edge received (a datagram, an NDJSON line, a JSON array's item) into
    messages, counting them and (rate-limited) logging rejections, for one channel."""

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

    def with_gate(self, gate: Gate | None, names: NameBudget | None) -> Parser:
        """This parser (its counters, recent keys and log) deciding trust with `gate`: an
        HTTP request's sender is known per request."""
        other = copy.copy(self)
        other.gate, other.names = gate, names
        return other

    def parse(self, data: bytes, source: str, received: float) -> Outcome:
        """The message in one datagram or NDJSON line, as received."""
        return self._parse(data, source, received, decode_datagram)

    def parse_value(self, obj: Any, source: str, received: float) -> Outcome:
        """The message in a JSON value already decoded (an item of an HTTP JSON array)."""
        return self._parse(obj, source, received, _as_is)

    def _parse(
        self, raw: Any, source: str, received: float, decode: Callable[[Any], Any]
    ) -> Outcome:
        self.counters.add(self.channel, "received")
        gate = self.gate
        try:
            if gate is not None:
                gate.admit(source, received)
            obj = decode(raw)
            # Trust is decided on the raw object: the signature covers the message as sent.
            trusted = gate.trusted(obj, source, received) if gate is not None else False
            message = normalise(
                obj, received=int(received), skew_seconds=self.skew_seconds, trusted=trusted
            )
            if gate is not None:
                gate.check(message)
            if self.names is not None:
                self.names.check(message, source, received)
        except Rejected as exc:
            self.reject(exc, source, received)
            return Outcome(None, rejection=exc)
        except Exception as exc:
            log.exception("internal error parsing a message from %s", source)
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

    def forget(self, messages: Iterable[Message]) -> None:
        """The store did not take these: a copy sent again is not a duplicate."""
        self.recent.forget(m.key for m in messages)


def _as_is(obj: Any) -> Any:
    return obj


class BatchWriter(Intake):
    """A thread that drains raw datagrams, parses them and writes accepted messages.

    A transient store error is retried with backoff, the write lock let go while waiting;
    a message the store refuses for good is quarantined and the rest of its batch stored
    (vacmon.ingest.batch)."""

    def __init__(
        self,
        parser: Parser,
        write: Writer,
        *,
        batch_size: int = 5000,
        max_delay: float = 0.25,
        buffer_bytes: int = 40 << 20,
        on_written: Callable[[list[Message]], None] | None = None,
        lock: Callable[[], AbstractContextManager[object]] = write_lock,
        prepare: Prepare | None = None,
    ) -> None:
        self.parser = parser
        self.counters = parser.counters
        self.channel = parser.channel
        self.batch_size = batch_size
        self.max_delay = max_delay
        self.retry = Persistent()
        self.batches = BatchStore(
            parser, write, retry=self.retry, lock=lock, on_written=on_written, prepare=prepare
        )
        self.raw = RawBuffer(buffer_bytes)
        self.stuck: WriterStuck | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vacmon-writer", daemon=True)

    @property
    def give_up_at(self) -> float | None:
        """When set (by stop), a write still failing at that monotonic time gives up."""
        return self.retry.give_up_at

    @give_up_at.setter
    def give_up_at(self, when: float | None) -> None:
        self.retry.give_up_at = when

    def start(self) -> None:
        self._thread.start()

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
        self.counters.flush()
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
        """Write held messages (vacmon.ingest.batch); return how many were inserted."""
        return self.batches.store(held).inserted
