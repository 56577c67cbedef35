"""Parse -> deduplicate -> batch -> store: the part of ingest shared by UDP and HTTP.

The socket side only appends raw datagrams to a deque; a writer thread parses and writes
them in batches, so a slow database write never stalls `recvfrom` (spec 9.3). Accepted
messages stay in memory until the store has them; a failed write is retried, never dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from factories.messages import Message, Rejected, decode_datagram, normalise
from vacmon.ingest.counters import Counters
from vacmon.ingest.names import NameBudget
from vacmon.ingest.ratelog import RateLimitedLog
from vacmon.ops.metrics import flush_writes, record_write
from vacmon.store.base import WriteResult

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


class BatchWriter:
    """A thread that drains raw datagrams, parses them and writes accepted messages."""

    def __init__(
        self,
        parser: Parser,
        write: Writer,
        *,
        batch_size: int = 5000,
        max_delay: float = 0.25,
        queue_limit: int = 1_000_000,
        on_written: Callable[[list[Message]], None] | None = None,
    ) -> None:
        self.parser = parser
        self.write = write
        self.batch_size = batch_size
        self.max_delay = max_delay
        self.queue_limit = queue_limit
        self.on_written = on_written
        self.raw: deque[tuple[bytes, str, float]] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vacmon-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, data: bytes, source: str, received: float) -> bool:
        """Queue one datagram; False (and counted) when the queue is full."""
        if len(self.raw) >= self.queue_limit:
            self.parser.counters.add(self.parser.channel, "rejected", "queue_full")
            return False
        self.raw.append((data, source, received))
        return True

    def stop(self, timeout: float | None = None) -> None:
        """Stop after writing everything already queued."""
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.raw:
                self._stop.wait(self.max_delay)
                continue
            self.flush_once()
        while self.raw:
            self.flush_once()
        self.parser.counters.flush()
        flush_writes()

    def flush_once(self) -> int:
        """Parse and write up to one batch of queued datagrams; return how many were stored."""
        pending: list[Message] = []
        raw = self.raw
        accept = self.parser.accept
        while raw and len(pending) < self.batch_size:
            message = accept(*raw.popleft())
            if message is not None:
                pending.append(message)
        return self.store(pending)

    def store(self, messages: list[Message]) -> int:
        if not messages:
            self.parser.counters.flush()
            return 0
        delay = 0.1
        while True:
            try:
                started = time.perf_counter()
                result = self.write(messages)
                record_write(time.perf_counter() - started, len(messages))
                break
            except Exception:
                log.exception("store write of %d messages failed; retrying", len(messages))
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        counters = self.parser.counters
        counters.add(self.parser.channel, "accepted", n=result.inserted)
        counters.add(self.parser.channel, "duplicates", n=result.duplicates)
        counters.flush()
        if self.on_written is not None:
            self.on_written(messages)
        return result.inserted
