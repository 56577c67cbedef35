"""Roll metric timelines up to endpoints, flavours, groups and the site (spec 3.1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from probes.operations import OperationsProfile
from probes.timeline import (
    Downtime,
    Result,
    Timeline,
    apply_downtimes,
    combine_timelines,
    metric_timeline,
)


@dataclass(frozen=True)
class Endpoint:
    hostname: str
    service_flavour: str


@dataclass(frozen=True)
class ServiceRule:
    """How the endpoints of one flavour combine (usually OR: redundant instances)."""

    flavour: str
    operation: str = "OR"


@dataclass(frozen=True)
class ServiceGroup:
    name: str
    operation: str
    services: tuple[ServiceRule, ...]


@dataclass(frozen=True)
class AggregationProfile:
    """ARGO aggregation profile: metric AND, per-flavour op, group op, profile AND."""

    groups: tuple[ServiceGroup, ...]
    metric_operation: str = "AND"
    profile_operation: str = "AND"

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> AggregationProfile:
        """Read the ARGO v2 JSON (`groups: [{name, operation, services: [{name, operation}]}]`)."""
        groups = tuple(
            ServiceGroup(
                group["name"],
                group["operation"],
                tuple(ServiceRule(s["name"], s["operation"]) for s in group["services"]),
            )
            for group in doc["groups"]
        )
        return cls(groups, doc["metric_operation"], doc["profile_operation"])


# The metric profile: for each service flavour, the metrics that count for A/R.
MetricProfile = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class SiteTimelines:
    metrics: dict[tuple[Endpoint, str], Timeline]
    endpoints: dict[Endpoint, Timeline]
    flavours: dict[str, Timeline]
    groups: dict[str, Timeline]
    site: Timeline


@dataclass(frozen=True)
class DayInputs:
    """Everything one site's day needs. `results` may include earlier days' results."""

    start: float
    end: float
    endpoints: Sequence[Endpoint]
    results: Mapping[tuple[Endpoint, str], Sequence[Result]]
    downtimes: Sequence[Downtime] = ()
    stale_after: float | None = None


def _endpoint_timelines(
    day: DayInputs, metrics: MetricProfile, rules: AggregationProfile, ops: OperationsProfile
) -> tuple[dict[tuple[Endpoint, str], Timeline], dict[Endpoint, Timeline]]:
    per_metric: dict[tuple[Endpoint, str], Timeline] = {}
    per_endpoint: dict[Endpoint, Timeline] = {}
    for endpoint in day.endpoints:
        expected = metrics.get(endpoint.service_flavour, ())
        # An expected metric with no result at all stays MISSING all day (ARGO FillMissing).
        timelines = []
        for metric in expected:
            results = day.results.get((endpoint, metric), ())
            timeline = metric_timeline(results, day.start, day.end, ops.missing, day.stale_after)
            per_metric[(endpoint, metric)] = timeline
            timelines.append(timeline)
        if not timelines:
            continue
        combined = combine_timelines(rules.metric_operation, timelines, ops)
        periods = [
            (d.start, d.end)
            for d in day.downtimes
            if d.scheduled
            and (d.hostname, d.service_flavour) == (endpoint.hostname, endpoint.service_flavour)
        ]
        per_endpoint[endpoint] = apply_downtimes(combined, periods, ops.down)
    return per_metric, per_endpoint


def _fold_present(
    operation: str, parts: Iterable[Timeline | None], ops: OperationsProfile
) -> Timeline | None:
    present = [part for part in parts if part is not None]
    return combine_timelines(operation, present, ops) if present else None


def site_timelines(
    day: DayInputs, metrics: MetricProfile, rules: AggregationProfile, ops: OperationsProfile
) -> SiteTimelines:
    """All levels of one site's day. Flavours and groups the site lacks are left out, as ARGO
    does; a site with nothing to aggregate is MISSING all day."""
    per_metric, per_endpoint = _endpoint_timelines(day, metrics, rules, ops)
    flavours: dict[str, Timeline] = {}
    groups: dict[str, Timeline] = {}
    for group in rules.groups:
        for rule in group.services:
            members = [t for e, t in per_endpoint.items() if e.service_flavour == rule.flavour]
            folded = _fold_present(rule.operation, members, ops)
            if folded is not None:
                flavours[rule.flavour] = folded
        parts = [flavours.get(rule.flavour) for rule in group.services]
        folded_group = _fold_present(group.operation, parts, ops)
        if folded_group is not None:
            groups[group.name] = folded_group
    site = _fold_present(rules.profile_operation, groups.values(), ops)
    if site is None:
        site = Timeline(day.start, day.end, ((day.start, ops.missing),))
    return SiteTimelines(per_metric, per_endpoint, flavours, groups, site)
