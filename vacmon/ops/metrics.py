"""Prometheus metrics, read from the database at scrape time.

Several processes do the counting (UDP listeners, web workers, Celery), so nothing is kept
in this process's memory: ingest counters and write latency come from the rows that
vacmon.ingest.counters keeps, the rest from the store and the other parts' tables. A part
that fails is reported in `vacmon_scrape_errors` and skipped; the scrape never fails.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Avg, Count, Max, Min
from django.utils import timezone
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from vacmon.ingest.counters import read_all, read_writes
from vacmon.ops import optional
from vacmon.store import get_store

log = logging.getLogger("vacmon.ops")

MESSAGE_TYPES = ("factory_status", "machinetype_status", "machine_status")
PROBE_WINDOW = 900  # probe lateness is summarised over the last 15 minutes


def ingest_metrics() -> Iterator[Metric]:
    families = {
        "received": CounterMetricFamily(
            "vacmon_ingest_received", "Messages received", labels=["channel"]
        ),
        "accepted": CounterMetricFamily(
            "vacmon_ingest_accepted", "Messages stored", labels=["channel"]
        ),
        "duplicates": CounterMetricFamily(
            "vacmon_ingest_duplicates", "Messages already stored", labels=["channel"]
        ),
        "skewed": CounterMetricFamily(
            "vacmon_ingest_skewed", "Messages with a large clock skew", labels=["channel"]
        ),
    }
    rejected = CounterMetricFamily(
        "vacmon_ingest_rejected", "Messages refused", labels=["channel", "reason"]
    )
    other = CounterMetricFamily(
        "vacmon_ingest_events", "Other ingest counters", labels=["channel", "name", "reason"]
    )
    for (channel, name, reason), value in read_all().items():
        if name == "rejected":
            rejected.add_metric([channel, reason], value)
        elif name in families and not reason:
            families[name].add_metric([channel], value)
        else:
            other.add_metric([channel, name, reason], value)
    yield from families.values()
    yield rejected
    yield other


def lag_metrics() -> Iterator[Metric]:
    now = time.time()
    store = get_store()
    newest = GaugeMetricFamily(
        "vacmon_ingest_newest_received_timestamp_seconds",
        "time_received of the newest stored message",
        labels=["message_type"],
    )
    latest = 0
    for message_type in MESSAGE_TYPES:
        found = store.history(message_type, since=0, until=int(now) + 86400, limit=1)
        if found:
            newest.add_metric([message_type], found[0].time_received)
            latest = max(latest, found[0].time_received)
    yield newest
    if latest:
        yield GaugeMetricFamily(
            "vacmon_ingest_lag_seconds", "Now minus the newest time_received", now - latest
        )


def write_metrics() -> Iterator[Metric]:
    buckets, total, messages = read_writes()
    yield HistogramMetricFamily(
        "vacmon_store_write_seconds", "Store write latency per batch", buckets, total
    )
    yield CounterMetricFamily(
        "vacmon_store_written_messages", "Messages in timed store writes", messages
    )


def spool_metrics() -> Iterator[Metric]:
    size, segments = get_store().spooled()
    yield GaugeMetricFamily("vacmon_es_spool_bytes", "Bytes waiting in the ES spool", size)
    yield GaugeMetricFamily("vacmon_es_spool_segments", "Segment files in the spool", segments)


def outbox_metrics(kind: str, label: str) -> Iterator[Metric]:
    """Depth and oldest age of undelivered rows: `vacmon_<label>_depth` and
    `vacmon_<label>_oldest_age_seconds`."""
    model = optional.model(kind)
    if model is None:
        return
    pending = optional.pending(model)
    created = optional.created_field(model)
    summary: dict[str, Any] = pending.aggregate(
        depth=Count("pk"), **({"oldest": Min(created)} if created else {})
    )
    yield GaugeMetricFamily(f"vacmon_{label}_depth", f"Undelivered {kind} rows", summary["depth"])
    oldest = summary.get("oldest")
    age = (timezone.now() - oldest).total_seconds() if oldest is not None else 0.0
    yield GaugeMetricFamily(
        f"vacmon_{label}_oldest_age_seconds", f"Age of the oldest undelivered {kind} row", age
    )


def probe_metrics() -> Iterator[Metric]:
    model = optional.model("probe_results")
    if model is None or "lateness" not in optional.field_names(model):
        return
    since = time.time() - PROBE_WINDOW
    summary = model.objects.filter(started_at__gte=since, lateness__isnull=False).aggregate(
        n=Count("pk"), worst=Max("lateness"), mean=Avg("lateness")
    )
    yield GaugeMetricFamily(
        "vacmon_probe_lateness_max_seconds",
        "Worst probe start lateness, last 15 min",
        summary["worst"] or 0.0,
    )
    yield GaugeMetricFamily(
        "vacmon_probe_lateness_mean_seconds",
        "Mean probe start lateness, last 15 min",
        summary["mean"] or 0.0,
    )
    yield GaugeMetricFamily("vacmon_probe_runs_recent", "Probe runs, last 15 min", summary["n"])


def crr_metrics() -> Iterator[Metric]:
    model = optional.model("crr_targets")
    if model is None or "last_success_at" not in optional.field_names(model):
        return
    now = timezone.now()
    age = GaugeMetricFamily(
        "vacmon_crr_publication_age_seconds",
        "Seconds since a target's CRR document was last published",
        labels=["site", "space"],
    )
    failures = GaugeMetricFamily(
        "vacmon_crr_consecutive_failures",
        "Refused CRR generations in a row",
        labels=["site", "space"],
    )
    for row in model.objects.all().values(
        "site", "space", "last_success_at", "consecutive_failures"
    ):
        labels = [row["site"], row["space"]]
        published = row["last_success_at"]
        # Never published: +Inf, so an age alert fires without a special case.
        seconds = (now - published).total_seconds() if published else float("inf")
        age.add_metric(labels, seconds)
        failures.add_metric(labels, row["consecutive_failures"])
    yield age
    yield failures


PARTS: dict[str, Callable[[], Iterator[Metric]]] = {
    "ingest": ingest_metrics,
    "lag": lag_metrics,
    "writes": write_metrics,
    "spool": spool_metrics,
    "apel_outbox": lambda: outbox_metrics("apel_outbox", "apel_outbox"),
    "apel_records": lambda: outbox_metrics("apel_records", "apel_pending_records"),
    "probe_outbox": lambda: outbox_metrics("probe_outbox", "probe_outbox"),
    "probes": probe_metrics,
    "crr": crr_metrics,
}


class VacmonCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        errors = GaugeMetricFamily(
            "vacmon_scrape_errors", "1 when a part of this scrape failed", labels=["part"]
        )
        for name, part in PARTS.items():
            try:
                # Materialise each part: a failure half-way must not emit half a family.
                metrics = list(part())
            except Exception:
                log.exception("metrics part %s failed", name)
                errors.add_metric([name], 1)
                continue
            errors.add_metric([name], 0)
            yield from metrics
        yield errors


def registry() -> CollectorRegistry:
    """A registry of VacMon's own metrics only: per-process defaults (GC, CPU) would
    describe whichever gunicorn worker answered, which is noise."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(VacmonCollector())
    return reg
