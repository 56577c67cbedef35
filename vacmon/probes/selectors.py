"""Read-side queries the probe pages share."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max

from probes.nagios import Status, worst
from vacmon.models import ProbeResult


@dataclass
class Cell:
    status: str
    endpoints: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    newest: int = 0


def latest_results(since: int, site: str | None = None) -> list[ProbeResult]:
    """The newest result of each (metric, hostname, flavour) since `since`."""
    rows = ProbeResult.objects.filter(timestamp__gte=since)
    if site:
        rows = rows.filter(site=site)
    newest = rows.values("metric", "hostname", "flavour").annotate(last=Max("id"))
    ids = [row["last"] for row in newest]
    return list(ProbeResult.objects.filter(id__in=ids).order_by("site", "metric", "hostname"))


def status_matrix(since: int) -> tuple[list[str], list[str], dict[str, dict[str, Cell]]]:
    """Sites x metrics; a cell is the worst latest status over the site's endpoints."""
    cells: dict[str, dict[str, Cell]] = defaultdict(dict)
    for row in latest_results(since):
        site = row.site or "(no site)"
        cell = cells[site].setdefault(row.metric, Cell("OK"))
        cell.endpoints += 1
        cell.counts[row.status] = cell.counts.get(row.status, 0) + 1
        cell.status = worst([Status[cell.status], Status[row.status]]).name
        cell.newest = max(cell.newest, row.timestamp)
    sites = sorted(cells)
    metrics = sorted({metric for row in cells.values() for metric in row})
    return sites, metrics, dict(cells)
