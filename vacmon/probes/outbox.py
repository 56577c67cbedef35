"""The durable outbox of probe messages: queue with the result, claim, send, delete.

A row is claimed by a conditional UPDATE (one row changed means it is ours), sent, and
deleted only once the broker has receipted it. A failed send releases the claim and stops
the batch, so a broker outage leaves every message queued for the next run; messages tried
least often go first, so one the broker keeps refusing never holds up the others. A claim older
than LEASE belongs to a worker that died mid-send and may be taken over; the broker may
then see that message twice, which sam3's stable `_id` makes harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from probes.model import ProbeRecord, iso_utc, render_metric_output, render_sam3_json
from vacmon.models import ProbeMessage
from vacmon.models import ProbeResult as ResultRow
from vacmon.probes.records import record_of

log = logging.getLogger(__name__)

FORMATS = ("metricOutput", "sam3")
LEASE = timedelta(minutes=10)


class PublishError(Exception):
    """The broker could not take a message (refused, no receipt, connection lost)."""


class Sender(Protocol):
    def send(self, headers: Mapping[str, str], body: str) -> None: ...

    def close(self) -> None: ...


def publishing_enabled() -> bool:
    return bool(settings.VACMON_PROBE_STOMP_HOST)


def render(record: ProbeRecord, fmt: str) -> tuple[dict[str, str], str]:
    """Body and headers; the headers are the AMS ones (spec 2.5 b) so brokers can filter,
    except that the time goes as `metric_timestamp`: RabbitMQ maps a STOMP `timestamp`
    header onto the AMQP property, refuses an ISO value, and drops the connection."""
    headers = {
        "metric_timestamp": iso_utc(record.timestamp),
        "service": record.service_flavour,
        "hostname": record.hostname,
        "metric": record.metric_name,
        "status": record.status.name,
        "vacmon-format": fmt,
    }
    if record.monitoring_host:
        headers["monitoring_host"] = record.monitoring_host
    if fmt == "metricOutput":
        return {**headers, "content-type": "text/plain"}, render_metric_output(record)
    if fmt == "sam3":
        return {**headers, "content-type": "application/json"}, render_sam3_json(record)
    raise ValueError(f"unknown probe message format {fmt!r}")


def enqueue(rows: Iterable[ResultRow]) -> int:
    """Queue each stored result in every configured format (nothing when publishing is off)."""
    if not publishing_enabled():
        return 0
    messages = []
    for row in rows:
        record = record_of(row)
        for fmt in settings.VACMON_PROBE_STOMP_FORMATS:
            headers, body = render(record, fmt)
            messages.append(ProbeMessage(result=row, format=fmt, headers=headers, body=body))
    ProbeMessage.objects.bulk_create(messages)
    return len(messages)


def claim(message_id: int, previous: datetime | None, now: datetime) -> bool:
    changed = ProbeMessage.objects.filter(pk=message_id, claimed_at=previous).update(
        claimed_at=now, attempts=F("attempts") + 1
    )
    return changed == 1


@dataclass(frozen=True)
class PublishReport:
    sent: int
    failed: int
    error: str = ""


def publish_pending(
    sender: Sender, limit: int = 1000, now: datetime | None = None
) -> PublishReport:
    """Send up to `limit` queued messages, those tried least often first, then oldest.

    The order is what keeps a message the broker keeps refusing from holding up the others:
    each failed try counts in `attempts`, so it goes behind every message not yet tried.
    A refusal (PublishError) ends the run, as the broker may be away; an error of this one
    message (it cannot be sent at all) is recorded and the run goes on."""
    now = now or timezone.now()
    free = Q(claimed_at=None) | Q(claimed_at__lt=now - LEASE)
    candidates = list(
        ProbeMessage.objects.filter(free)
        .order_by("attempts", "id")
        .values_list("id", "claimed_at")[:limit]
    )
    sent = failed = 0
    for message_id, previous in candidates:
        if not claim(message_id, previous, now):
            continue  # another publisher took it between our read and our update
        message = ProbeMessage.objects.get(pk=message_id)
        try:
            sender.send(message.headers, message.body)
        except PublishError as error:
            _release(message_id, now, str(error))
            return PublishReport(sent, failed + 1, str(error))
        except Exception as error:
            log.exception("probe message %s cannot be sent", message_id)
            _release(message_id, now, f"{type(error).__name__}: {error}")
            failed += 1
            continue
        ProbeMessage.objects.filter(pk=message_id).delete()
        sent += 1
    return PublishReport(sent, failed)


def _release(message_id: int, now: datetime, error: str) -> None:
    ProbeMessage.objects.filter(pk=message_id, claimed_at=now).update(
        claimed_at=None, last_error=error[:2000]
    )


def backlog() -> int:
    return ProbeMessage.objects.count()
