"""Models other parts of VacMon may or may not have yet (APEL outbox, probes, CRR).

Operations code must keep working as those parts come and go, so every lookup here is
defensive: a missing model or field means "no such metric", never an error.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps

CANDIDATES: dict[str, tuple[str, ...]] = {
    "apel_outbox": ("ApelBatch", "ApelOutbox"),
    "apel_records": ("ApelRecord",),
    "probe_outbox": ("ProbeMessage",),
    "probe_results": ("ProbeResult",),
    "crr_targets": ("CrrTarget",),
}
_CREATED = ("created_at", "created", "queued_at", "enqueued_at", "received_at")


def model(kind: str) -> Any | None:
    for name in CANDIDATES[kind]:
        try:
            return apps.get_model("vacmon", name)
        except LookupError:
            continue
    return None


def field_names(model_class: Any) -> set[str]:
    return {f.name for f in model_class._meta.get_fields()}


def pending(model_class: Any) -> Any:
    """Rows not yet delivered: outboxes either mark delivery or delete delivered rows."""
    names = field_names(model_class)
    qs = model_class.objects.all()
    if hasattr(qs, "waiting"):
        return qs.waiting()  # APEL records not yet cut into a batch
    if "sent_at" in names:
        return qs.filter(sent_at__isnull=True)
    if "sent" in names:
        return qs.filter(sent=False)
    return qs


def created_field(model_class: Any) -> str | None:
    names = field_names(model_class)
    return next((name for name in _CREATED if name in names), None)
