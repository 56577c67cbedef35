"""Timelines and availability/reliability per site from stored results (spec 3.3, 3.4).

The metric profile is the set of critical definitions; a day's endpoints are those of the
site that reported, plus the topology's endpoints, so an endpoint that went silent still
counts (as MISSING). All arithmetic is the probe core's (aggregate, timeline, ar).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings

from probes.aggregate import (
    AggregationProfile,
    DayInputs,
    Endpoint,
    ServiceGroup,
    ServiceRule,
    SiteTimelines,
    site_timelines,
)
from probes.ar import DailyAR, PeriodAR, daily_ar, period_ar
from probes.operations import OperationsProfile, argo_operations
from probes.timeline import Downtime, Result, Timeline, metric_timeline
from vacmon.models import Downtime as DowntimeRow
from vacmon.models import ProbeDefinition as DefinitionRow
from vacmon.models import ProbeEndpoint, SiteAvailability
from vacmon.models import ProbeResult as ResultRow
from vacmon.probes.definitions import SPACE_FLAVOURS, fanned_out, flavours_of

DAY = 86400
# Staleness (spec 3.3, our extension): a result holds for two intervals plus a margin.
STALE_MARGIN = 300


def operations() -> OperationsProfile:
    return argo_operations(settings.VACMON_ARGO_MISSING_OR_DOWNTIME)


def day_bounds(day: date) -> tuple[float, float]:
    start = datetime.combine(day, time(0), tzinfo=UTC).timestamp()
    return start, start + DAY


def stale_after(interval: float) -> float:
    return 2 * interval + STALE_MARGIN


def aggregation_profile(flavours: Sequence[str]) -> AggregationProfile:
    """Vac and Vcycle spaces are redundant compute (OR); every other flavour is a group of
    its own, all ANDed into the site (ARGO's usual profile, spec 3.1)."""
    groups = [ServiceGroup("compute", "OR", tuple(ServiceRule(f, "OR") for f in SPACE_FLAVOURS))]
    for flavour in sorted(set(flavours) - set(SPACE_FLAVOURS)):
        groups.append(ServiceGroup(flavour, "OR", (ServiceRule(flavour, "OR"),)))
    return AggregationProfile(tuple(groups), "AND", "AND")


@dataclass(frozen=True)
class SiteDay:
    site: str
    day: date
    timelines: SiteTimelines
    ar: DailyAR


def _critical() -> list[DefinitionRow]:
    return list(DefinitionRow.objects.filter(critical=True, enabled=True))


def _results(site: str, start: float, end: float, lookback: float) -> list[tuple[str, ...]]:
    rows = ResultRow.objects.filter(
        site=site,
        definition__critical=True,
        timestamp__gte=start - lookback,
        timestamp__lt=end,
    ).order_by("timestamp", "id")
    return list(rows.values_list("hostname", "flavour", "metric", "timestamp", "status"))


def _downtimes(endpoints: set[Endpoint], start: float, end: float) -> list[Downtime]:
    lo, hi = datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    hosts = {e.hostname for e in endpoints}
    found = DowntimeRow.objects.filter(hostname__in=hosts, start__lt=hi, end__gt=lo)
    return [
        Downtime(
            d.hostname,
            d.flavour,
            d.start.timestamp(),
            d.end.timestamp(),
            d.classification == "scheduled",
        )
        for d in found
    ]


def site_day(site: str, day: date) -> SiteDay:
    """Every timeline level of one site's day, and its daily A/R."""
    start, end = day_bounds(day)
    critical = _critical()
    stale = stale_after(max((d.interval for d in critical), default=300))
    profile: dict[str, set[str]] = defaultdict(set)
    for definition in critical:
        if not fanned_out(definition):
            for flavour in flavours_of(definition):
                profile[flavour].add(definition.metric)
    results: dict[tuple[Endpoint, str], list[Result]] = defaultdict(list)
    endpoints: set[Endpoint] = set()
    for hostname, flavour, metric, when, status in _results(site, start, end, stale):
        endpoint = Endpoint(hostname, flavour)
        endpoints.add(endpoint)
        profile[flavour].add(metric)
        results[(endpoint, metric)].append((float(when), status))
    for e in ProbeEndpoint.objects.filter(site=site, enabled=True):
        endpoints.add(Endpoint(e.hostname, e.flavour))
    inputs = DayInputs(
        start,
        end,
        sorted(endpoints, key=lambda e: (e.service_flavour, e.hostname)),
        results,
        _downtimes(endpoints, start, end),
        stale,
    )
    metrics = {flavour: sorted(names) for flavour, names in profile.items()}
    timelines = site_timelines(inputs, metrics, aggregation_profile(list(metrics)), operations())
    return SiteDay(site, day, timelines, daily_ar(timelines.site))


def sites_with_results(start: float, end: float) -> list[str]:
    found = ResultRow.objects.filter(timestamp__gte=start, timestamp__lt=end).exclude(site="")
    return sorted(set(found.values_list("site", flat=True)))


def store_day(day: date) -> int:
    """Compute and keep one day's A/R for every site that reported (the daily task)."""
    start, end = day_bounds(day)
    sites = set(sites_with_results(start, end))
    sites |= set(ProbeEndpoint.objects.exclude(site="").values_list("site", flat=True))
    variant = settings.VACMON_ARGO_MISSING_OR_DOWNTIME
    for site in sorted(sites):
        ar = site_day(site, day).ar
        SiteAvailability.objects.update_or_create(
            site=site, day=day, defaults={**ar.__dict__, "variant": variant}
        )
    return len(sites)


@dataclass(frozen=True)
class DayFigure:
    day: date
    ar: DailyAR
    stored: bool


def daily_figures(site: str, first: date, last: date, recompute: bool = False) -> list[DayFigure]:
    """Stored daily figures where they exist (results may have been purged since), computed
    on demand for the other days, or for all days with `recompute`."""
    stored = (
        {}
        if recompute
        else {
            row.day: row
            for row in SiteAvailability.objects.filter(site=site, day__gte=first, day__lte=last)
        }
    )
    figures = []
    day = first
    while day <= last:
        row = stored.get(day)
        if row is not None:
            ar = DailyAR(row.uptime, row.unknown, row.downtime, row.availability, row.reliability)
            figures.append(DayFigure(day, ar, True))
        else:
            figures.append(DayFigure(day, site_day(site, day).ar, False))
        day += timedelta(days=1)
    return figures


def monthly(figures: Sequence[DayFigure]) -> list[tuple[str, PeriodAR]]:
    """Per calendar month, from the mean daily fractions (argo-web-api, spec 3.4)."""
    months: dict[str, list[DailyAR]] = defaultdict(list)
    for figure in figures:
        months[figure.day.strftime("%Y-%m")].append(figure.ar)
    return [(month, period_ar(days)) for month, days in sorted(months.items())]


def metric_history(metric: str, hostname: str, flavour: str, start: float, end: float) -> Timeline:
    """One metric's step function over [start, end), with the staleness rule applied."""
    definition = ResultRow.objects.filter(metric=metric, hostname=hostname, flavour=flavour)
    interval = (
        definition.exclude(definition=None).values_list("definition__interval", flat=True).first()
    )
    stale = stale_after(interval or 300)
    rows = definition.filter(timestamp__gte=start - stale, timestamp__lt=end)
    changes = [
        (float(t), s) for t, s in rows.order_by("timestamp").values_list("timestamp", "status")
    ]
    return metric_timeline(changes, start, end, operations().missing, stale)
