"""Stored result rows <-> the core's canonical record and perfdata."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from probes.model import ProbeRecord
from probes.nagios import PerfDatum, Range, Status
from vacmon.models import ProbeResult as ResultRow


def perfdata_json(items: Iterable[PerfDatum]) -> list[dict[str, Any]]:
    """Perfdata as JSON; ranges keep their Nagios syntax so they read as configured."""
    return [
        {
            "label": p.label,
            "value": p.value,
            "uom": p.uom,
            "warning": None if p.warning is None else str(p.warning),
            "critical": None if p.critical is None else str(p.critical),
            "min": p.minimum,
            "max": p.maximum,
        }
        for p in items
    ]


def _range(text: str | None) -> Range | None:
    return None if text is None else Range.parse(text)


def perfdata_from_json(items: Iterable[dict[str, Any]]) -> tuple[PerfDatum, ...]:
    return tuple(
        PerfDatum(
            p["label"],
            p.get("value"),
            p.get("uom", ""),
            _range(p.get("warning")),
            _range(p.get("critical")),
            p.get("min"),
            p.get("max"),
        )
        for p in items
    )


def record_of(row: ResultRow) -> ProbeRecord:
    return ProbeRecord(
        timestamp=row.timestamp,
        hostname=row.hostname,
        service_flavour=row.flavour,
        metric_name=row.metric,
        status=Status[row.status],
        summary=row.summary,
        details=row.details,
        vo=row.vo or None,
        vo_fqan=row.vo_fqan or None,
        monitoring_host=row.monitoring_host or None,
        site=row.site or None,
        perfdata=perfdata_from_json(row.perfdata),
    )
