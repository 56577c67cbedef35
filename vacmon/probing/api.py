"""JSON API of the probes under /api/v1/probes/: configuration, results, timelines, A/R.

Reading is open like the rest of the API; changing configuration needs a staff account
(session or HTTP basic), because a definition names a program the workers will run.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, permissions
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vacmon import queryparams
from vacmon.api.timerange import parse_range
from vacmon.models import Downtime, ProbeDefinition, ProbeEndpoint, ProbeResult
from vacmon.probes.ar import DailyAR, PeriodAR, period_ar
from vacmon.probing import availability, stats
from vacmon.probing.csv_renderer import CSVRenderer
from vacmon.probing.serializers import (
    DefinitionSerializer,
    DowntimeSerializer,
    EndpointSerializer,
    ResultSerializer,
)
from vacmon.queryparams import choice, whole_number

MAX_RESULTS = 5000
MAX_AR_DAYS = 400


class StaffWrites(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class ConfigMixin:
    authentication_classes = [SessionAuthentication, BasicAuthentication]
    permission_classes = [StaffWrites]


class DefinitionsView(ConfigMixin, generics.ListCreateAPIView):  # type: ignore[type-arg]
    queryset = ProbeDefinition.objects.all()
    serializer_class = DefinitionSerializer


class DefinitionView(ConfigMixin, generics.RetrieveUpdateDestroyAPIView):  # type: ignore[type-arg]
    queryset = ProbeDefinition.objects.all()
    serializer_class = DefinitionSerializer


class EndpointsView(ConfigMixin, generics.ListCreateAPIView):  # type: ignore[type-arg]
    queryset = ProbeEndpoint.objects.order_by("site", "hostname")
    serializer_class = EndpointSerializer


class DowntimesView(ConfigMixin, generics.ListCreateAPIView):  # type: ignore[type-arg]
    queryset = Downtime.objects.all()
    serializer_class = DowntimeSerializer


class DowntimeView(ConfigMixin, generics.RetrieveUpdateDestroyAPIView):  # type: ignore[type-arg]
    queryset = Downtime.objects.all()
    serializer_class = DowntimeSerializer


def _window(request: Request, default_span: int = 86400) -> tuple[int, int]:
    # A BadParameter becomes a 400 naming the parameter (vacmon.api.errors).
    found = parse_range(request.query_params, default_span=default_span)
    return found.since, found.until


def _limit(request: Request) -> int:
    return whole_number(request.query_params, "limit", 500, 1, MAX_RESULTS)


def _filtered(request: Request) -> QuerySet[ProbeResult]:
    since, until = _window(request)
    rows = ProbeResult.objects.filter(timestamp__gte=since, timestamp__lt=until)
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
