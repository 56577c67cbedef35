"""Drain the outbox: claim a window of batches, sign them, send them all, then record the
broker's verdict on each from its own receipt."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apel.outbox import Batch, Outbox
from apel.smime import CertificateError
from apel.transport import PipelinedTransport, Transport, TransportError

log = logging.getLogger(__name__)

# Batches sent before their receipts are awaited: enough to keep the broker busy while the
# next ones are cut and signed, few enough that a failure costs little (about 6 MB here).
WINDOW = 8


@dataclass(frozen=True)
class Backoff:
    """Exponential retry delays: initial, initial x factor, ... capped at maximum."""

    initial: timedelta = timedelta(minutes=1)
    factor: float = 2.0
    maximum: timedelta = timedelta(hours=6)

    def delay(self, attempts: int) -> timedelta:
        seconds = self.initial.total_seconds() * self.factor ** max(attempts, 0)
        return min(timedelta(seconds=seconds), self.maximum)


@dataclass
class ForwardReport:
    sent_batches: int = 0
    sent_records: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (batch_id, reason)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Forwarder:
    """One pass over the outbox. Run it from a periodic task; it is safe to run twice at
    once because each batch is claimed before it is sent."""

    def __init__(
        self,
        outbox: Outbox,
        transport: Transport,
        seal: Callable[[str], str],
        backoff: Backoff | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._outbox = outbox
        self._transport = transport
        self._seal = seal  # e.g. Signer.seal: sign and optionally encrypt
        self._backoff = backoff or Backoff()
        self._clock = clock

    def run_once(self, max_batches: int | None = None) -> ForwardReport:
        report = ForwardReport()
        tried: set[str] = set()
        try:
            while max_batches is None or report.sent_batches < max_batches:
                room = WINDOW if max_batches is None else max_batches - report.sent_batches
                window = self._claim_window(min(room, WINDOW), tried)
                if not window:
                    break
                if not self._forward(window, report):
                    # The broker or our credentials are the problem, not these batches:
                    # stop, rather than fail every remaining batch in turn.
                    break
                if len(window) < min(room, WINDOW):
                    break  # the outbox had no more due
        finally:
            self._transport.close()
        return report

    def _claim_window(self, size: int, tried: set[str]) -> list[Batch]:
        window: list[Batch] = []
        while len(window) < size:
            batch = self._outbox.claim_next_batch(self._clock())
            # A failed batch is due again only after its backoff; should it be due at
            # once (no backoff), one try per run is enough.
            if batch is None or batch.batch_id in tried:
                break
            tried.add(batch.batch_id)
            window.append(batch)
        return window

    def _forward(self, window: list[Batch], report: ForwardReport) -> bool:
        """Seal and send a window of claimed batches; record each one's own verdict."""
        sealed: list[tuple[Batch, str]] = []
        for batch in window:
            try:
                sealed.append((batch, self._seal(batch.body)))
            except CertificateError as error:
                # Our credentials, not this batch: none of the window can go.
                for unsent in window[len(sealed) :]:
                    self._failed(unsent, report, str(error))
                return False
            except Exception as error:
                # Something about this batch (its body cannot be sealed, say): it waits
                # for its retry with backoff like any failure, and the run goes on to the
                # next batch, which it must not hold up.
                log.exception("APEL batch %s cannot be sent", batch.batch_id)
                self._failed(batch, report, f"{type(error).__name__}: {error}")
        healthy = True
        # Each verdict is recorded as soon as it is known, before the next is awaited.
        for (batch, _), outcome in zip(sealed, self._send(sealed), strict=True):
            if outcome is None:
                # Only now, after its own receipt: a crash before this line means a
                # resend with the same empa-id once the claim expires, never a lost
                # batch. The outbox counts the acknowledged records here too, so a pass
                # killed later keeps them counted.
                self._outbox.mark_sent(batch.batch_id, len(batch.records))
                report.sent_batches += 1
                report.sent_records += len(batch.records)
            else:
                self._failed(batch, report, outcome)
                healthy = False
        return healthy

    def _send(self, sealed: list[tuple[Batch, str]]) -> Iterator[str | None]:
        messages = [(batch.batch_id, body) for batch, body in sealed]
        if isinstance(self._transport, PipelinedTransport):
            yield from self._transport.send_all(messages)
            return
        for done, (message_id, body) in enumerate(messages):
            try:
                self._transport.send(message_id, body)
            except TransportError as error:
                yield str(error)
                # The rest are not tried: the broker is the problem, not them.
                yield from ["Not sent: an earlier batch failed"] * (len(messages) - done - 1)
                return
            yield None

    def _failed(self, batch: Batch, report: ForwardReport, reason: str) -> None:
        retry_at = self._clock() + self._backoff.delay(batch.attempts)
        log.warning("APEL batch %s not sent, retry at %s: %s", batch.batch_id, retry_at, reason)
        self._outbox.mark_failed(batch.batch_id, reason, retry_at)
        report.failures.append((batch.batch_id, reason))
