"""The plain functions the probe tasks call; tests and the bench call them directly."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from vacmon.models import ProbeResult as ResultRow
from vacmon.probes import availability, dispatch, outbox, runner
from vacmon.probes.broker import BrokerSettings, StompPublisher
from vacmon.probes.targets import TargetRef


def dispatch_due(now: float, send: dispatch.Send) -> int:
    return len(dispatch.dispatch(now, send).runs)


def run_probe(ref: TargetRef, due_at: float | None) -> list[ResultRow]:
    return runner.run_target(ref, due_at)


def publish_results(sender: outbox.Sender | None = None) -> int:
    """Drain the outbox until it is empty or the broker fails; returns messages sent."""
    if not outbox.publishing_enabled() and sender is None:
        return 0
    sender = sender or StompPublisher(BrokerSettings.from_settings())
    sent = 0
    try:
        while True:
            report = outbox.publish_pending(sender)
            sent += report.sent
            if report.failed or report.sent == 0:
                return sent
    finally:
        sender.close()


def yesterday(now: datetime) -> date:
    return (now - timedelta(days=1)).date()


def store_yesterday(now: datetime) -> int:
    # Recomputed every hour until the day is old, so late results still count.
    return availability.store_day(yesterday(now))


def purge_results(before: datetime) -> int:
    deleted, _ = ResultRow.objects.filter(timestamp__lt=int(before.timestamp())).delete()
    return deleted
