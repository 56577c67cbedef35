"""Dashboard pages for the whole fleet, a site, a space and a VO, plus search.

Views read the range and VO from the query string, call the read functions in `selectors`,
shape rows of plain text and URLs, and render. Message strings reach templates as plain
strings, so Django's autoescape handles them; only chart SVG (escaped by `charts`) is markup.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from vacmon.capacity import SUMMED, summarise
from vacmon.dashboard import fmt, rows, selectors
from vacmon.dashboard.page import Page, chart, make_page
from vacmon.dashboard.search import find
from vacmon.store import Scope, get_store

LOOKBACK = 30 * 86400


def overview(request: HttpRequest) -> HttpResponse:
    page = make_page(request)
    pp = page.params
    r = pp.time_range
    latest, mts, charts = page.read(
        lambda: selectors.factories_latest(Scope(), r, pp.now, SUMMED),
        lambda: selectors.machinetypes_latest(Scope(vo=pp.vo), r, pp.now, selectors.USAGE_FIELDS),
        lambda: _fleet_charts(page, Scope(vo=pp.vo), "site"),
    )
    usage = selectors.usage_by(mts, lambda m: m.site, page.ref)
    caps = summarise(latest, "site", page.ref)
    site_rows = rows.capacity_rows(caps, usage, pp.vo, page.links.site, page.links.vo)
    ctx = page.context(
        rows=site_rows,
        totals=rows.totals(site_rows),
        stale_factories=sum(c.stale_factories for c in caps),
        last_message=fmt.utc(max((c.last_seen for c in caps), default=None)),
        last_message_age=fmt.age_since(max((c.last_seen for c in caps), default=0), pp.now),
        charts=charts,
    )
    return render(request, "dashboard/overview.html", ctx)


def site(request: HttpRequest, site: str) -> HttpResponse:
    page = make_page(request)
    page.crumbs.append((site, page.links.site(site)))
    pp = page.params
    scope = Scope(site=site)
    vo_scope = Scope(site=site, vo=pp.vo)
    latest, mts, charts = page.read(
        lambda: selectors.factories_latest(scope, pp.time_range, pp.now, SUMMED),
        lambda: selectors.machinetypes_latest(
            vo_scope, pp.time_range, pp.now, selectors.USAGE_FIELDS
        ),
        lambda: _fleet_charts(page, vo_scope, "space"),
    )
    _require(latest or _known(scope, pp.since), f"no factory of site {site!r} is known")
    usage = selectors.usage_by(mts, lambda m: m.space, page.ref)
    caps = summarise(latest, "space", page.ref)
    space_rows = rows.capacity_rows(
        caps, usage, pp.vo, lambda sp: page.links.space(site, sp), page.links.vo
    )
    for row in space_rows:
        row["crr_url"] = page.links.crr(site, row["name"])
    ctx = page.context(
        site=site,
        rows=space_rows,
        totals=rows.totals(space_rows),
        charts=charts,
        machines_url=page.links.machines(site=site),
    )
    return render(request, "dashboard/site.html", ctx)


def space(request: HttpRequest, site: str, space: str) -> HttpResponse:
    page = make_page(request)
    links = page.links
    page.crumbs += [(site, links.site(site)), (space, links.space(site, space))]
    pp = page.params
    r = pp.time_range
    scope = Scope(site=site, space=space)
    vo_scope = Scope(site=site, space=space, vo=pp.vo)
    latest, mts, (max_procs, max_hs06), by_vo, by_machinetype, by_factory, load = page.read(
        lambda: selectors.factories_latest(scope, r, pp.now),
        lambda: selectors.machinetypes_latest(vo_scope, r, pp.now),
        lambda: selectors.capacity_lines(scope, r),
        lambda: selectors.running_many(selectors.RUNNING, "vo", vo_scope, r),
        lambda: selectors.running_many(selectors.RUNNING, "machinetype", vo_scope, r),
        lambda: selectors.running("running_processors", "factory", vo_scope, r),
        lambda: selectors.factory_metric("load_average", "factory", scope, r),
    )
    _require(latest or _known(scope, pp.since), f"no factory of space {space!r} is known")
    caps = summarise(latest, "space", page.ref)
    stale = [m.factory for m in latest if rows.stale(m, page.ref)]
    factory_links = {m.factory: links.factory(site, space, m.factory) for m in latest}
    ctx = page.context(
        site=site,
        site_url=links.site(site),
        space=space,
        capacity=caps[0] if caps else None,
        crr_url=links.crr(site, space),
        factories=rows.factory_rows(latest, page, site, space),
        machinetypes=rows.machinetype_rows(mts, page),
        machines_url=links.machines(site=site, space=space),
        charts=[
            chart(
                "Running processors by VO",
                by_vo["running_processors"],
                lines={"Max processors": max_procs},
            ),
            chart(
                "Running processors by machinetype",
                by_machinetype["running_processors"],
                lines={"Max processors": max_procs},
            ),
            chart(
                "Running HS06 by VO",
                by_vo["running_hs06"],
                lines={"Max HS06": max_hs06},
                unit="HS06",
            ),
            chart(
                "Running HS06 by machinetype",
                by_machinetype["running_hs06"],
                lines={"Max HS06": max_hs06},
                unit="HS06",
            ),
            chart(
                "Running processors by factory",
                by_factory,
                links=factory_links,
                highlight=stale,
            ),
            chart(
                "Load average (15 min) by factory",
                load,
                links=factory_links,
                highlight=stale,
            ),
        ],
    )
    return render(request, "dashboard/space.html", ctx)


def vo_list(request: HttpRequest) -> HttpResponse:
    page = make_page(request)
    page.crumbs.append(("VOs", page.links.vos()))
    pp = page.params
    usage_fields = selectors.USAGE_FIELDS
    (mts,) = page.read(
        lambda: selectors.machinetypes_latest(Scope(), pp.time_range, pp.now, usage_fields)
    )
    usage = selectors.usage_by(mts, lambda m: m.vo, page.ref)
    vo_rows = []
    for vo in page.context()["vos"]:
        used = selectors.total_usage(usage.get(vo, {}))
        vo_rows.append({"name": vo, "url": page.links.vo(vo), **rows.usage_cells(used)})
    return render(request, "dashboard/vos.html", page.context(rows=vo_rows))


def vo_page(request: HttpRequest, vo: str) -> HttpResponse:
    page = make_page(request)
    page.crumbs += [("VOs", page.links.vos()), (vo, page.links.vo(vo))]
    pp = page.params
    r = pp.time_range
    scope = Scope(vo=vo)
    latest, by_site, by_machinetype = page.read(
        lambda: selectors.machinetypes_latest(scope, r, pp.now),
        lambda: selectors.running_many(
            ("running_processors", "running_machines", "running_hs06"), "site", scope, r
        ),
        lambda: selectors.running("running_processors", "machinetype", scope, r),
    )
    _require(
        latest or get_store().latest("machinetype_status", since=pp.since - LOOKBACK, scope=scope),
        f"no machinetype of VO {vo!r} is known",
    )
    usage = selectors.usage_by(latest, lambda m: (m.site, m.space), page.ref)
    space_rows = [
        {
            "site": s,
            "site_url": page.links.site(s),
            "space": sp,
            "space_url": page.links.space(s, sp),
            **rows.usage_cells(selectors.total_usage(per_vo)),
        }
        for (s, sp), per_vo in sorted(usage.items())
    ]
    ctx = page.context(
        vo=vo,
        rows=space_rows,
        machinetypes=rows.machinetype_rows(latest, page),
        machines_url=page.links.machines(vo=vo),
        charts=[
            chart(f"Running processors of {vo} by site", by_site["running_processors"]),
            chart(f"Running machines of {vo} by site", by_site["running_machines"]),
            chart(f"Running HS06 of {vo} by site", by_site["running_hs06"], unit="HS06"),
            chart(
                f"Running processors of {vo} by machinetype",
                by_machinetype,
            ),
        ],
    )
    return render(request, "dashboard/vo.html", ctx)


def search(request: HttpRequest) -> HttpResponse:
    page = make_page(request, ("Search", ""))
    query = (request.GET.get("q") or "").strip()
    hits = find(query, page) if query else []
    if len(hits) == 1 and hits[0].exact:
        return redirect(hits[0].url)
    return render(request, "dashboard/search.html", page.context(q=query, hits=hits))


def _fleet_charts(page: Page, scope: Scope, by: str) -> list[Any]:
    r = page.params.time_range
    (grouped, (max_procs, max_hs06)), by_vo = get_store().together(
        [
            lambda: selectors.usage_and_capacity(by, scope, r),
            lambda: selectors.running_many(selectors.RUNNING, "vo", scope, r),
        ]
    )
    return [
        chart(
            f"Running processors by {by}",
            grouped["running_processors"],
            lines={"Max processors": max_procs},
        ),
        chart("Running processors by VO", by_vo["running_processors"]),
        chart(
            f"Running HS06 by {by}",
            grouped["running_hs06"],
            lines={"Max HS06": max_hs06},
            unit="HS06",
        ),
        chart("Running HS06 by VO", by_vo["running_hs06"], unit="HS06"),
    ]


def _known(scope: Scope, since: int) -> bool:
    return bool(get_store().factories(since=since - LOOKBACK, scope=scope))


def _require(found: object, reason: str) -> None:
    if not found:
        raise Http404(reason)
