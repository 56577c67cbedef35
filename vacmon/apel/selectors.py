"""What the status API and the dashboard page show: outbox depth and age, the last
successful send, failures with their reasons, and per-site monthly totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet, Sum

from vacmon.apel.forwarding import config_path
from vacmon.models import ApelBatch, ApelForwarderState, ApelRecord
from vacmon.models.apel import JOB_KINDS


@dataclass(frozen=True)
class OutboxDepth:
    records: int  # waiting for a broker's receipt, batched or not
    batches: int  # cut but not acknowledged
    oldest_unsent_at: datetime | None


def outbox_depth() -> OutboxDepth:
    # Two cheap queries instead of one outer join over every record ever sent.
    pending = ApelRecord.objects.waiting().aggregate(n=Count("id"), oldest=Min("received_at"))
    unsent = ApelBatch.objects.filter(sent_at=None)
    batched = unsent.aggregate(n=Count("id"), records=Sum("record_count"))
    oldest = [t for t in (pending["oldest"], _oldest_in(unsent)) if t is not None]
    return OutboxDepth(
        records=int(pending["n"]) + int(batched["records"] or 0),
        batches=int(batched["n"]),
        oldest_unsent_at=min(oldest) if oldest else None,
    )


def _oldest_in(unsent: QuerySet[ApelBatch]) -> datetime | None:
    """The oldest record still in an unsent batch. Ids and receipt times rise together, so
    it sits at the start of the first such batch that still holds a record."""
    for batch in unsent.order_by("first_record").only("header", "first_record", "last_record"):
        found: datetime | None = batch.records().aggregate(t=Min("received_at"))["t"]
        if found is not None:
            return found
    return None


def failures(limit: int = 20) -> list[dict[str, Any]]:
    """Unsent batches that failed at least once, the most recent failure first."""
    rows = (
        ApelBatch.objects.filter(sent_at=None, attempts__gt=0)
        .order_by("-last_failed_at")
        .values(
            "id", "header", "record_count", "attempts", "last_error", "last_failed_at", "retry_at"
        )[:limit]
    )
    return [{**row, "batch_id": row.pop("id")} for row in rows]


def forwarder_state() -> ApelForwarderState:
    return ApelForwarderState.objects.filter(name="default").first() or ApelForwarderState()


def last_sent_at() -> datetime | None:
    """When a broker last acknowledged a batch."""
    latest: datetime | None = ApelBatch.objects.aggregate(last=Max("sent_at"))["last"]
    return latest


def monthly_totals(months: int = 12, now: datetime | None = None) -> list[dict[str, Any]]:
    """Jobs, wall and CPU seconds and HS06-hours per site and month of EndTime (UTC)."""
    query = ApelRecord.objects.filter(kind__in=JOB_KINDS)
    if now is not None:
        first = now.year * 12 + now.month - months
        query = query.filter(Q(year__gt=first // 12) | Q(year=first // 12, month__gt=first % 12))
    rows = (
        query.values("site", "year", "month")
        .annotate(
            jobs=Count("id"),
            wall=Sum("wall_seconds"),
            cpu=Sum("cpu_seconds"),
            hs06=Sum("hs06_seconds"),
        )
        .order_by("site", "-year", "-month")
    )
    return [
        {
            "site": row["site"],
            "month": f"{row['year']:04d}-{row['month']:02d}",
            "jobs": row["jobs"],
            "wall_seconds": int(row["wall"] or 0),
            "cpu_seconds": int(row["cpu"] or 0),
            "hs06_hours": round(float(row["hs06"] or 0.0) / 3600.0, 2),
        }
        for row in rows
    ]


def status(now: datetime, months: int = 12) -> dict[str, Any]:
    depth = outbox_depth()
    state = forwarder_state()
    age = None
    if depth.oldest_unsent_at is not None:
        age = max(0.0, (now - depth.oldest_unsent_at).total_seconds())
    return {
        "forwarding": config_path() is not None,
        "outbox": {
            "records": depth.records,
            "batches": depth.batches,
            "oldest_unsent_at": depth.oldest_unsent_at,
            "oldest_unsent_age_seconds": age,
        },
        "last_run_at": state.last_run_at,
        "last_run_error": state.last_error or None,
        "last_success_at": last_sent_at(),
        "sent_records_total": state.sent_records_total,
        "failures": failures(),
        "monthly_totals": monthly_totals(months, now),
    }
