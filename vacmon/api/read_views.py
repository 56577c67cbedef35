"""Read API: sites, spaces, factories, machinetypes and machines, latest state and history.

Every view validates its query, calls one selector and serialises plain values. Lists are
cursor-paginated (vacmon.api.pagination) and, while reading is closed, hold only the sites
the caller has a role on (vacmon.trust.permissions); a view of one site checks its `site`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from factories.messages import Message
from vacmon.api.pagination import PAGE_PARAMS, paginate_items
from vacmon.api.selectors import series
from vacmon.capacity import Capacity, latest_factories, summarise
from vacmon.ingest.counters import read_all
from vacmon.queryparams import whole_number
from vacmon.store import Scope, Series, get_store
from vacmon.store.base import GROUPS, SERIES_METRICS
from vacmon.timerange import TimeRange, parse_range
from vacmon.trust.permissions import may_read_site, readable_items

MAX_LIMIT = 5000

RANGE_PARAMS = [
    OpenApiParameter("from", OpenApiTypes.STR, description="epoch seconds, ISO 8601 or -SECONDS"),
    OpenApiParameter("to", OpenApiTypes.STR, description="epoch seconds, ISO 8601 or -SECONDS"),
    OpenApiParameter("interval", OpenApiTypes.INT, description="bucket width in seconds"),
]
SCOPE_PARAMS = [
    OpenApiParameter(name, OpenApiTypes.STR)
    for name in ("site", "space", "factory", "machinetype", "vo")
]


def message_json(m: Message) -> dict[str, Any]:
    out = dict(m.fields)
    out.update(time_received=m.time_received, skewed=m.skewed, trusted=m.trusted, vo=m.vo)
    if m.extra:
        out["extra"] = m.extra
    return out


def capacity_json(c: Capacity) -> dict[str, Any]:
    return {
        "name": c.name,
        "factories": c.factories,
        "stale_factories": c.stale_factories,
        "last_seen": c.last_seen,
        **c.totals,
        "children": c.children,
    }


def series_json(s: Series) -> dict[str, Any]:
    return {"start": s.start, "interval": s.interval, "times": s.times, "values": s.values}


def time_range(request: Request, **kwargs: Any) -> TimeRange:
    # A BadParameter becomes a 400 naming the parameter (vacmon.api.errors).
    return parse_range(request.query_params, **kwargs)


def scope_from(request: Request, **fixed: str) -> Scope:
    params = {
        n: request.query_params.get(n) or None
        for n in ("site", "space", "factory", "machinetype", "vo")
    }
    params.update(fixed)
    return Scope(**params)


def limit_from(request: Request, default: int = 500) -> int:
    return whole_number(request.query_params, "limit", default, 1, MAX_LIMIT)


def visible_factories(request: Request) -> list[Message]:
    """The newest factory messages in the query's scope, of the sites the caller may read."""
    return readable_items(latest_factories(scope_from(request)), request.user, _site)


def _site(m: Message) -> str:
    return m.site


def paged(request: Request, rows: list[dict[str, Any]], *names: str) -> Response:
    return Response(paginate_items(request, rows, lambda row: [row[n] for n in names]))


def paged_messages(request: Request, messages: list[Message], *names: str) -> Response:
    """A page of messages, ordered by `names`; only the page is serialised."""
    page = paginate_items(request, messages, lambda m: [getattr(m, n) or "" for n in names])
    page["results"] = [message_json(m) for m in page["results"]]
    return Response(page)


class SitesView(APIView):
    @extend_schema(operation_id="sites_list", parameters=RANGE_PARAMS + PAGE_PARAMS)
    def get(self, request: Request) -> Response:
        r = time_range(request)
        caps = summarise(visible_factories(request), "site", r.until)
        return paged(request, [capacity_json(c) for c in caps], "name")


class SiteView(APIView):
    @extend_schema(operation_id="site_detail", parameters=RANGE_PARAMS)
    def get(self, request: Request, site: str) -> Response:
        r = time_range(request)
        scope = Scope(site=site)
        latest = latest_factories(scope)
        if not latest:
            raise NotFound(f"no factory of site {site!r} reported in the last day")
        (cap,) = summarise(latest, "site", r.until)
        return Response(
            {
                **capacity_json(cap),
                "spaces": [capacity_json(c) for c in summarise(latest, "space", r.until)],
                "series": _running_series(r, scope, "space"),
            }
        )


class SpacesView(APIView):
    @extend_schema(operation_id="spaces_list", parameters=SCOPE_PARAMS + PAGE_PARAMS)
    def get(self, request: Request) -> Response:
        r = time_range(request)
        caps = summarise(visible_factories(request), "space", r.until)
        return paged(request, [capacity_json(c) for c in caps], "name")


class SpaceView(APIView):
    @extend_schema(operation_id="space_detail", parameters=RANGE_PARAMS)
    def get(self, request: Request, site: str, space: str) -> Response:
        r = time_range(request)
        scope = Scope(site=site, space=space)
        latest = latest_factories(scope)
        if not latest:
            raise NotFound(f"no factory of space {space!r} reported in the last day")
        (cap,) = summarise(latest, "space", r.until)
        return Response(
            {
                **capacity_json(cap),
                "factories": [message_json(m) for m in latest],
                "series": _running_series(r, scope, "factory"),
            }
        )


def _running_series(r: TimeRange, scope: Scope, group_by: str) -> dict[str, Any]:
    return {
        metric: series_json(
            series(
                "factory_status",
                metric,
                group_by=group_by,
                since=r.since,
                until=r.until,
                interval=r.interval,
                scope=scope,
            )
        )
        for metric in ("running_processors", "running_hs06", "max_processors")
    }


class FactoriesView(APIView):
    @extend_schema(operation_id="factories_list", parameters=SCOPE_PARAMS + PAGE_PARAMS)
    def get(self, request: Request) -> Response:
        return paged_messages(request, visible_factories(request), "site", "space", "factory")


class FactoryView(APIView):
    @extend_schema(operation_id="factory_detail", parameters=RANGE_PARAMS)
    def get(self, request: Request, site: str, space: str, factory: str) -> Response:
        r = time_range(request)
        scope = Scope(site=site, space=space, factory=factory)
        store = get_store()
        latest = store.latest("factory_status", since=0, scope=scope)
        if not latest:
            raise NotFound(f"factory {factory!r} has never reported")
        history = store.history(
            "factory_status", since=r.since, until=r.until, scope=scope, limit=limit_from(request)
        )
        machinetypes = store.latest("machinetype_status", since=r.since, scope=scope)
        return Response(
            {
                "latest": message_json(latest[0]),
                "machinetypes": [message_json(m) for m in machinetypes],
                "history": [message_json(m) for m in history],
            }
        )


class MachinetypesView(APIView):
    @extend_schema(
        operation_id="machinetypes_list", parameters=SCOPE_PARAMS + RANGE_PARAMS + PAGE_PARAMS
    )
    def get(self, request: Request) -> Response:
        r = time_range(request)
        latest = get_store().latest(
            "machinetype_status", since=r.since, until=None, scope=scope_from(request)
        )
        visible = readable_items(latest, request.user, _site)
        return paged_messages(request, visible, "site", "space", "factory", "machinetype")


class MachinesView(APIView):
    @extend_schema(operation_id="machines_list", parameters=SCOPE_PARAMS + RANGE_PARAMS)
    def get(self, request: Request) -> Response:
        r = time_range(request)
        machines = get_store().history(
            "machine_status",
            since=r.since,
            until=r.until,
            scope=scope_from(request),
            limit=limit_from(request),
        )
        return Response([message_json(m) for m in readable_items(machines, request.user, _site)])


class SeriesView(APIView):
    @extend_schema(
        operation_id="series",
        parameters=[
            OpenApiParameter("type", OpenApiTypes.STR, enum=list(SERIES_METRICS)),
            OpenApiParameter("metric", OpenApiTypes.STR),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(GROUPS)),
            *SCOPE_PARAMS,
            *RANGE_PARAMS,
        ],
    )
    def get(self, request: Request) -> Response:
        r = time_range(request)
        q = request.query_params
        if not may_read_site(request.user, q.get("site")):
            raise PermissionDenied("a series needs `site`, a site you have a role on")
        message_type = q.get("type", "factory_status")
        try:
            result = series(
                message_type,
                q.get("metric", "running_processors"),
                group_by=q.get("group_by", "site"),
                since=r.since,
                until=r.until,
                interval=r.interval,
                scope=scope_from(request),
            )
        except (ValueError, KeyError) as exc:
            raise ValidationError({"series": str(exc)}) from None
        return Response(series_json(result))


class CountersView(APIView):
    @extend_schema(operation_id="ingest_counters", parameters=PAGE_PARAMS)
    def get(self, request: Request) -> Response:
        rows = [
            {"channel": c, "name": n, "reason": r, "value": v}
            for (c, n, r), v in read_all().items()
        ]
        return paged(request, rows, "channel", "name", "reason")
