"""Drain the outbox: claim a batch, sign it, send it, and record the broker's verdict."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apel.outbox import Batch, Outbox
from apel.smime import CertificateError
from apel.transport import Transport, TransportError

log = logging.getLogger(__name__)


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
                batch = self._outbox.claim_next_batch(self._clock())
                # A failed batch is due again only after its backoff; should it be due at
                # once (no backoff), one try per run is enough.
                if batch is None or batch.batch_id in tried:
                    break
                tried.add(batch.batch_id)
                if not self._forward(batch, report):
                    # The broker or our credentials are the problem, not this batch:
                    # stop, rather than fail every remaining batch in turn.
                    break
        finally:
            self._transport.close()
        return report

    def _forward(self, batch: Batch, report: ForwardReport) -> bool:
        try:
            self._transport.send(batch.batch_id, self._seal(batch.body))
        except (TransportError, CertificateError) as error:
            self._failed(batch, report, str(error))
            return False
        except Exception as error:
            # Something about this batch (its body cannot be sealed or encoded, say): it
            # waits for its retry with backoff like any failure, and the run goes on to
            # the next batch, which it must not hold up.
            log.exception("APEL batch %s cannot be sent", batch.batch_id)
            self._failed(batch, report, f"{type(error).__name__}: {error}")
            return True
        # Only now, after the receipt: a crash before this line means a resend with the
        # same empa-id once the claim expires, never a lost batch. The outbox counts the
        # acknowledged records here too, so a pass killed later keeps them counted.
        self._outbox.mark_sent(batch.batch_id, len(batch.records))
        report.sent_batches += 1
        report.sent_records += len(batch.records)
        return True

    def _failed(self, batch: Batch, report: ForwardReport, reason: str) -> None:
        retry_at = self._clock() + self._backoff.delay(batch.attempts)
        log.warning("APEL batch %s not sent, retry at %s: %s", batch.batch_id, retry_at, reason)
        self._outbox.mark_failed(batch.batch_id, reason, retry_at)
        report.failures.append((batch.batch_id, reason))
