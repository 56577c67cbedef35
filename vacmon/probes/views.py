"""Server-rendered probe pages: status matrix, a metric's history, A/R, runner health,
and the VO-feed XML. While reading is closed each shows only the caller's sites."""

from __future__ import annotations

import time
from calendar import monthrange
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from probes.feed import Feed, FeedService, FeedSite, build_feed
from vacmon import queryparams
from vacmon.models import ProbeResult, SiteAvailability
from vacmon.probes import availability, selectors, stats
from vacmon.probes.targets import product_flavour
from vacmon.routes import path_to
from vacmon.store import Scope, get_store
from vacmon.trust.permissions import may_read_site, readable, readable_items

DAY = 86400
HISTORY_ROWS = 100


def _page(
    request: HttpRequest, template: str, crumbs: list[tuple[str, str]], **context: Any
) -> HttpResponse:
    crumbs = [("Probes", "/probes/"), *crumbs]
    return render(request, f"probes/{template}", {"crumbs": crumbs, **context})


def matrix(request: HttpRequest) -> HttpResponse:
    now = int(time.time())
    sites, metrics, cells = selectors.status_matrix(now - DAY)
    sites = [site for site in sites if may_read_site(request.user, site)]
    rows = [
        (site, path_to("probes-ar-site", site), [(m, cells[site].get(m)) for m in metrics])
        for site in sites
    ]
    return _page(request, "matrix.html", [], metrics=metrics, rows=rows, refresh_seconds=60)


def _bar(timeline: Any) -> list[dict[str, Any]]:
    span = timeline.end - timeline.start
    return [
        {
            "status": state,
            "width": round(100 * (end - start) / span, 3),
            "start": datetime.fromtimestamp(start, UTC),
            "end": datetime.fromtimestamp(end, UTC),
        }
        for start, end, state in timeline.segments()
    ]


def metric(request: HttpRequest) -> HttpResponse:
    name = request.GET.get("metric", "")
    site = request.GET.get("site", "")
    rows = readable(ProbeResult.objects.filter(metric=name), request.user)
    if site:
        rows = rows.filter(site=site)
    if not rows.exists():
        raise Http404("no results for this metric")
    now = time.time()
    endpoints = sorted(set(rows.values_list("hostname", "flavour", "site")))
    bars = [
        (
            hostname,
            flavour,
            ep_site,
            _bar(availability.metric_history(name, hostname, flavour, now - DAY, now)),
        )
        for hostname, flavour, ep_site in endpoints
    ]
    recent = rows.order_by("-timestamp", "-id")[:HISTORY_ROWS]
    return _page(
        request, "metric.html", [(name, "")], metric=name, site=site, bars=bars, recent=recent
    )


def _month(request: HttpRequest) -> date:
    # A bad month is a 400 naming the parameter (vacmon.queryparams.BadParameterMiddleware).
    return queryparams.month(request.GET, "month", date.today().replace(day=1))


def ar_month(request: HttpRequest) -> HttpResponse:
    """Every site's stored daily availability over one month, and the month's figures."""
    first = _month(request)
    last = first.replace(day=monthrange(first.year, first.month)[1])
    stored = readable(SiteAvailability.objects.filter(day__gte=first, day__lte=last), request.user)
    days = [first + timedelta(days=i) for i in range(last.day)]
    by_site: dict[str, dict[date, SiteAvailability]] = {}
    for row in stored:
        by_site.setdefault(row.site, {})[row.day] = row
    rows = []
    for site, per_day in sorted(by_site.items()):
        figures = [
            availability.DayFigure(
                d,
                availability.DailyAR(
                    r.uptime, r.unknown, r.downtime, r.availability, r.reliability
                ),
                True,
            )
            for d, r in sorted(per_day.items())
        ]
        month = availability.monthly(figures)[0][1]
        rows.append((site, path_to("probes-ar-site", site), [per_day.get(d) for d in days], month))
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return _page(
        request,
        "ar_month.html",
        [("Availability", "")],
        first=first,
        days=days,
        rows=rows,
        previous=previous,
        following=following,
    )


def ar_site(request: HttpRequest, site: str) -> HttpResponse:
    """One site's daily A/R over a month, computed on demand where nothing is stored."""
    first = _month(request)
    last = min(first.replace(day=monthrange(first.year, first.month)[1]), date.today())
    if last < first:
        raise Http404("that month has not started")
    figures = availability.daily_figures(site, first, last)
    month = availability.monthly(figures)
    return _page(
        request,
        "ar_site.html",
        [("Availability", "/probes/ar/"), (site, "")],
        site=site,
        first=first,
        figures=figures,
        month=month[0][1] if month else None,
        variant=availability.operations().name,
    )


def runner(request: HttpRequest) -> HttpResponse:
    now = time.time()
    windows = [
        (label, stats.runner_stats(now - seconds, now))
        for label, seconds in (("last 15 minutes", 900), ("last hour", 3600))
    ]
    return _page(request, "runner.html", [("Runner", "")], windows=windows, refresh_seconds=60)


def feed_xml(request: HttpRequest) -> HttpResponse:
    """Spaces as VAC/VCYCLE services per site (spec 2.4); `?vo=` keeps the spaces that ran
    that VO's machinetypes in the discovery window."""
    now = int(time.time())
    since = now - settings.VACMON_PROBE_DISCOVERY_DAYS * DAY
    vo = request.GET.get("vo", "")
    store = get_store()
    spaces: dict[str, dict[str, str]] = {}
    latest = store.latest("factory_status", since=since, until=now)
    for message in readable_items(latest, request.user, lambda m: m.site):
        spaces.setdefault(message.site, {})[message.space] = product_flavour(
            message.get("daemon_version")
        )
    if vo:
        serving = {
            (m.site, m.space)
            for m in store.latest("machinetype_status", since=since, until=now, scope=Scope(vo=vo))
        }
        spaces = {
            site: {s: f for s, f in found.items() if (site, s) in serving}
            for site, found in spaces.items()
        }
    sites = [
        FeedSite(site, [FeedService(space, flavour) for space, flavour in sorted(found.items())])
        for site, found in spaces.items()
        if found
    ]
    body = build_feed(Feed(vo or "all", sites, datetime.now(UTC)))
    return HttpResponse(body, content_type="application/xml; charset=utf-8")
