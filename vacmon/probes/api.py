"""JSON API of the probes under /api/v1/probes/: configuration, results, timelines, A/R.

Reading passes the read gate like the rest of the API (vacmon.trust.permissions). Only
operators change definitions, which pick the plugins the workers run; endpoints and
downtimes are changed by an admin of their site or by an operator.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from probes.ar import DailyAR, PeriodAR, period_ar
from vacmon import queryparams
from vacmon.models import Downtime, ProbeDefinition, ProbeEndpoint, ProbeResult
from vacmon.probes import availability, stats
from vacmon.probes.csv_renderer import CSVRenderer
from vacmon.probes.serializers import (
    DefinitionSerializer,
    DowntimeSerializer,
    EndpointSerializer,
    ResultSerializer,
)
from vacmon.queryparams import choice, whole_number
from vacmon.timerange import parse_range
from vacmon.trust.drf import BearerAuthentication
from vacmon.trust.permissions import (
    OperatorWrites,
    SiteScopedWrites,
    may_read_site,
    readable,
    readable_sites,
)

MAX_RESULTS = 5000
MAX_AR_DAYS = 400


class ConfigMixin:
    authentication_classes = [BearerAuthentication, SessionAuthentication, BasicAuthentication]


class DefinitionsMixin(ConfigMixin):
    """A definition picks a plugin the workers will run: operators only change them."""

    permission_classes = [OperatorWrites]
    queryset = ProbeDefinition.objects.all()
    serializer_class = DefinitionSerializer


class DefinitionsView(DefinitionsMixin, generics.ListCreateAPIView):  # type: ignore[type-arg]
    pass


class DefinitionView(DefinitionsMixin, generics.RetrieveUpdateDestroyAPIView):  # type: ignore[type-arg]
    pass


class EndpointsView(ConfigMixin, SiteScopedWrites, generics.ListCreateAPIView):  # type: ignore[type-arg]
    serializer_class = EndpointSerializer

    def get_queryset(self) -> QuerySet[ProbeEndpoint]:
        return self.filter_readable(ProbeEndpoint.objects.order_by("site", "hostname"))


class DowntimesMixin(ConfigMixin, SiteScopedWrites):
    """A downtime belongs to the site of its endpoint; one of no known endpoint, to
    operators only."""

    serializer_class = DowntimeSerializer

    def site_of(self, obj: Any) -> str | None:
        return self.site_of_values({"hostname": obj.hostname, "flavour": obj.flavour})

    def site_of_values(self, values: dict[str, Any]) -> str | None:
        return endpoint_site(str(values.get("hostname", "")), str(values.get("flavour", "")))

    def get_queryset(self) -> QuerySet[Downtime]:
        sites = readable_sites(self.request.user)
        rows = Downtime.objects.all()
        if sites is None:
            return rows
        endpoints = ProbeEndpoint.objects.filter(site__in=sites)
        return rows.filter(
            Exists(endpoints.filter(hostname=OuterRef("hostname"), flavour=OuterRef("flavour")))
        )


class DowntimesView(DowntimesMixin, generics.ListCreateAPIView):  # type: ignore[type-arg]
    pass


class DowntimeView(DowntimesMixin, generics.RetrieveUpdateDestroyAPIView):  # type: ignore[type-arg]
    pass


def endpoint_site(hostname: str, flavour: str) -> str | None:
    found = ProbeEndpoint.objects.filter(hostname=hostname, flavour=flavour).first()
    return (found.site or None) if found is not None else None


def _window(request: Request, default_span: int = 86400) -> tuple[int, int]:
    # A BadParameter becomes a 400 naming the parameter (vacmon.api.errors).
    found = parse_range(request.query_params, default_span=default_span)
    return found.since, found.until


def _limit(request: Request) -> int:
    return whole_number(request.query_params, "limit", 500, 1, MAX_RESULTS)


def _filtered(request: Request) -> QuerySet[ProbeResult]:
    since, until = _window(request)
    rows = readable(
        ProbeResult.objects.filter(timestamp__gte=since, timestamp__lt=until), request.user
    )
    for name in ("metric", "hostname", "flavour", "site", "status"):
        value = request.query_params.get(name)
        if value:
            rows = rows.filter(**{name: value})
    return rows.order_by("-timestamp", "-id")


class ResultsView(APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        responses=inline_serializer(
            name="ProbeResultList", fields={"results": ResultSerializer(many=True)}
        )
    )
    def get(self, request: Request, format: str | None = None) -> Response:
        rows = _filtered(request)[: _limit(request)]
        return Response({"results": ResultSerializer(rows, many=True).data})


def _required(request: Request, *names: str) -> list[str]:
    values = [request.query_params.get(name, "") for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise ValidationError({name: "required" for name in missing})
    return values


class TimelineView(APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    def get(self, request: Request, format: str | None = None) -> Response:
        metric, hostname, flavour = _required(request, "metric", "hostname", "flavour")
        results = ProbeResult.objects.filter(metric=metric, hostname=hostname, flavour=flavour)
        _check_read(request, results.values_list("site", flat=True).first())
        since, until = _window(request)
        timeline = availability.metric_history(metric, hostname, flavour, since, until)
        segments = [
            {"start": int(s), "end": int(e), "status": state} for s, e, state in timeline.segments()
        ]
        return Response(
            {
                "metric": metric,
                "hostname": hostname,
                "flavour": flavour,
                "durations": timeline.durations(),
                "results": segments,
            }
        )


def _check_read(request: Request, site: str | None) -> None:
    if not may_read_site(request.user, site):
        raise PermissionDenied("reading this needs a viewer role of its site")


def _day(request: Request, name: str, default: date) -> date:
    return queryparams.day(request.query_params, name, default)


def daily_json(site: str, day: date, ar: DailyAR, stored: bool) -> dict[str, Any]:
    return {"site": site, "period": day.isoformat(), **ar.__dict__, "stored": stored}


def period_json(site: str, period: str, ar: PeriodAR) -> dict[str, Any]:
    return {"site": site, "period": period, **ar.__dict__}


class AvailabilityView(APIView):
    """`?site=&from=YYYY-MM-DD&to=YYYY-MM-DD&period=daily|monthly|range&recompute=1`."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    def get(self, request: Request, format: str | None = None) -> Response:
        (site,) = _required(request, "site")
        _check_read(request, site)
        today = date.fromtimestamp(time.time())
        last = _day(request, "to", today - timedelta(days=1))
        first = _day(request, "from", last - timedelta(days=29))
        period = choice(request.query_params, "period", ("daily", "monthly", "range"), "daily")
        if not 0 <= (last - first).days < MAX_AR_DAYS:
            raise ValidationError({"range": f"from <= to, at most {MAX_AR_DAYS} days"})
        recompute = request.query_params.get("recompute") in ("1", "true")
        figures = availability.daily_figures(site, first, last, recompute)
        if period == "daily":
            rows = [daily_json(site, f.day, f.ar, f.stored) for f in figures]
        elif period == "monthly":
            rows = [period_json(site, m, ar) for m, ar in availability.monthly(figures)]
        else:
            whole = period_ar([f.ar for f in figures])
            rows = [period_json(site, f"{first}/{last}", whole)]
        return Response({"variant": availability.operations().name, "results": rows})


class RunnerView(APIView):
    """Lateness percentiles and concurrency of the runs started in the last `window` s."""

    def get(self, request: Request) -> Response:
        window = whole_number(request.query_params, "window", 3600, 60, 86400)
        now = time.time()
        return Response(stats.runner_stats(now - window, now).__dict__)
