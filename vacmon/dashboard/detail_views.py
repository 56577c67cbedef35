"""Dashboard pages for one factory, one machinetype, finished machines and one machine."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from factories.messages import Message
from vacmon.dashboard import charts, factory_report, fmt, lifecycles, rows, selectors
from vacmon.dashboard.page import Page, chart, line_chart, make_page, only, scaled
from vacmon.store import Scope, Series, get_store
from vacmon.store.series import total
from vacmon.store.shutdowns import Shutdown
from vacmon.timerange import TimeRange

LOOKBACK = 30 * 86400
HEALTH_HISTORY = 3000
TABLE_ROWS = 100
KIB_PER_GIB = 1048576
# The factory_status metrics the factory page charts, read in one pass.
HEALTH_METRICS = (
    "load_average",
    "running_processors",
    "max_processors",
    "mem_used_kb",
    "mem_total_kb",
    "swap_used_kb",
    "swap_free_kb",
    "root_disk_avail_kb",
    "daemon_disk_avail_kb",
    "root_disk_avail_inodes",
    "daemon_disk_avail_inodes",
)


def factory(request: HttpRequest, site: str, space: str, factory: str) -> HttpResponse:
    page = _page(request, site, space)
    page.crumbs.append((fmt.short_host(factory), page.links.factory(site, space, factory)))
    pp = page.params
    r = pp.time_range
    scope = Scope(site=site, space=space, factory=factory)
    mt_scope = Scope(site=site, space=space, factory=factory, vo=pp.vo)
    latest, summary, mts, lcs, charted, by_machinetype = page.read(
        lambda: selectors.factories_latest(scope, r, pp.now),
        lambda: selectors.factory_health(scope, r, HEALTH_HISTORY),
        lambda: selectors.machinetypes_latest(mt_scope, r, pp.now),
        lambda: _lifecycles(mt_scope, r),
        lambda: selectors.factory_metrics(HEALTH_METRICS, "factory", scope, r),
        lambda: selectors.running("running_processors", "machinetype", mt_scope, r),
    )
    if not latest and not get_store().factories(since=pp.since - LOOKBACK, scope=scope):
        raise Http404(f"factory {factory!r} is not known")
    last = latest[0] if latest else None
    ctx = page.context(
        site=site,
        space=space,
        factory=factory,
        last=_factory_facts(last, page) if last else [],
        stale=bool(last and rows.stale(last, page.ref)),
        versions=[
            (label, [(v, fmt.utc(a), fmt.utc(b)) for v, a, b in seen])
            for label, seen in summary.versions.items()
        ],
        history_note=summary.truncated,
        machinetypes=rows.machinetype_rows(mts, page),
        machines=_lifecycle_rows(lcs[:50], page),
        machines_url=page.links.machines(site=site, space=space, factory=factory),
        charts=_factory_charts(charted, by_machinetype, summary),
    )
    return render(request, "dashboard/factory.html", ctx)


def machinetype(request: HttpRequest, site: str, space: str, machinetype: str) -> HttpResponse:
    page = _page(request, site, space)
    page.crumbs.append((machinetype, page.links.machinetype(site, space, machinetype)))
    pp = page.params
    r = pp.time_range
    factory_name = request.GET.get("factory") or None
    scope = Scope(site=site, space=space, factory=factory_name, machinetype=machinetype, vo=pp.vo)
    latest, known, found, charted = page.read(
        lambda: selectors.machinetypes_latest(scope, r, pp.now),
        lambda: selectors.shutdown_outcomes(scope, r),
        lambda: selectors.machines(scope, r),
        lambda: selectors.machinetype_metrics(
            ("running_machines", "num_before_fizzle", "running_processors"), "factory", scope, r
        ),
    )
    if not latest and not get_store().latest(
        "machinetype_status", since=pp.since - LOOKBACK, scope=scope
    ):
        raise Http404(f"machinetype {machinetype!r} is not known in {space!r}")
    lcs = lifecycles.fill_outcomes(found, known)
    counts = lifecycles.family_counts(lcs)
    running, fizzle = charted["running_machines"], charted["num_before_fizzle"]
    ctx = page.context(
        site=site,
        space=space,
        machinetype=machinetype,
        hidden=[("factory", factory_name)] if factory_name else [],
        rows=rows.machinetype_rows(latest, page),
        outcomes=_outcome_rows(known[:50], page, site, space),
        families=_family_rows(counts, page, site=site, space=space, machinetype=machinetype),
        machines_url=page.links.machines(site=site, space=space, machinetype=machinetype),
        charts=[
            chart(
                f"Running machines of {machinetype} by factory (Vac counts starting ones too)",
                running,
                lines={"Before fizzle": total(fizzle)},
            ),
            line_chart(
                f"{machinetype}: running and before-fizzle machines",
                running.times,
                running.interval,
                {"Running (incl. starting)": total(running), "Before fizzle": total(fizzle)},
            ),
            chart(
                f"Running processors of {machinetype} by factory",
                charted["running_processors"],
            ),
            _family_chart(counts),
        ],
    )
    return render(request, "dashboard/machinetype.html", ctx)


def machines(request: HttpRequest) -> HttpResponse:
    page = make_page(request)
    page.crumbs.append(("Machines", page.links.machines()))
    pp = page.params
    get = request.GET.get
    filters = {k: get(k) or None for k in ("site", "space", "factory", "machinetype")}
    family = get("code") or None
    scope = Scope(**filters, vo=pp.vo)
    (lcs,) = page.read(lambda: _lifecycles(scope, pp.time_range))
    counts = lifecycles.family_counts(lcs)
    if family:
        lcs = [lc for lc in lcs if lc.family == family]
    labels, hist = lifecycles.duration_histogram(lc.duration for lc in lcs)
    ctx = page.context(
        filters=filters,
        hidden=[(k, v) for k, v in (*filters.items(), ("code", family)) if v],
        code=family or "",
        code_choices=[*lifecycles.FAMILIES, lifecycles.UNKNOWN],
        count=len(lcs),
        rows=_lifecycle_rows(lcs[:TABLE_ROWS], page),
        truncated=len(lcs) > TABLE_ROWS,
        families=_family_rows(counts, page, **filters),
        charts=[
            charts.bars(f"Durations of {len(lcs)} finished machines", labels, hist, "machines"),
            _family_chart(counts),
        ],
    )
    return render(request, "dashboard/machines.html", ctx)


def machine(
    request: HttpRequest, site: str, space: str, factory: str, machine: str
) -> HttpResponse:
    page = _page(request, site, space)
    links = page.links
    page.crumbs += [
        (fmt.short_host(factory), links.factory(site, space, factory)),
        (machine, links.machine(site, space, factory, machine)),
    ]
    scope = Scope(site=site, space=space, factory=factory, machine=machine)
    (found,) = page.read(lambda: selectors.machine_messages(scope, 0, page.params.now))
    if not found:
        raise Http404(f"machine {machine!r} is not known")
    newest = found[0]
    around = TimeRange(newest.time_received - 86400, newest.time_received + 3600, 3600)
    mt_scope = Scope(site=site, space=space, factory=factory, machinetype=newest.machinetype)
    (lc,) = lifecycles.fill_outcomes([newest], selectors.shutdown_outcomes(mt_scope, around))
    ctx = page.context(
        site=site,
        space=space,
        factory=factory,
        machine=machine,
        row=_lifecycle_rows([lc], page)[0],
        fields=sorted((k, "" if v is None else str(v)) for k, v in newest.fields.items()),
        extra=sorted((k, str(v)) for k, v in newest.extra.items()),
        messages=[(fmt.utc(m.time_received), m.get("state") or fmt.DASH) for m in found],
        machinetype_url=links.machinetype(site, space, newest.machinetype),
    )
    return render(request, "dashboard/machine.html", ctx)


def _page(request: HttpRequest, site: str, space: str) -> Page:
    page = make_page(request)
    page.crumbs += [(site, page.links.site(site)), (space, page.links.space(site, space))]
    return page


def _factory_charts(
    charted: dict[str, Series], by_machinetype: Series, summary: factory_report.Summary
) -> list[charts.Svg]:
    def one(metric: str) -> list[float | None]:
        return only(charted[metric])

    times, interval = charted["load_average"].times, charted["load_average"].interval
    gib = 1 / KIB_PER_GIB
    return [
        line_chart(
            "Load average (15 min) and processors",
            times,
            interval,
            {
                "Load average": one("load_average"),
                "Running processors": one("running_processors"),
                "Max processors": one("max_processors"),
            },
        ),
        chart(
            "Running processors by machinetype",
            by_machinetype,
            lines={"Max processors": one("max_processors")},
        ),
        line_chart(
            "Memory and swap",
            times,
            interval,
            {
                "Memory used": scaled(one("mem_used_kb"), gib),
                "Memory total": scaled(one("mem_total_kb"), gib),
                "Swap used": scaled(one("swap_used_kb"), gib),
                "Swap free": scaled(one("swap_free_kb"), gib),
            },
            unit="GiB",
        ),
        line_chart(
            "Free disk",
            times,
            interval,
            {
                "Root (/tmp)": scaled(one("root_disk_avail_kb"), gib),
                "Daemon (/var/lib)": scaled(one("daemon_disk_avail_kb"), gib),
            },
            unit="GiB",
        ),
        line_chart(
            "Free inodes",
            times,
            interval,
            {
                "Root (/tmp)": one("root_disk_avail_inodes"),
                "Daemon (/var/lib)": one("daemon_disk_avail_inodes"),
            },
            unit="inodes",
        ),
        line_chart(
            "Heartbeat ages when sent",
            times,
            interval,
            summary.ages,
            unit="minutes",
        ),
    ]


def _factory_facts(m: Message, page: Page) -> list[tuple[str, str]]:
    now = page.params.now
    g = m.get
    return [
        ("Last message", f"{fmt.utc(m.time_received)} ({fmt.age(now - m.time_received)} ago)"),
        *[
            (f"{name} heartbeat", f"{fmt.utc(g(f))} ({fmt.age_since(g(f), now)})")
            for name, f in factory_report.HEARTBEATS.items()
        ],
        ("Load average", fmt.number(g("load_average"), 2)),
        ("Processors running/max", fmt.ratio(g("running_processors"), g("max_processors"))),
        ("Machines running/max", fmt.ratio(g("running_machines"), g("max_machines"))),
        ("HS06 running/max", f"{fmt.number(g('running_hs06'), 2)}/{fmt.number(g('max_hs06'), 2)}"),
        ("Boot time", f"{fmt.utc(g('boot_time'))} ({fmt.age_since(g('boot_time'), now)})"),
        ("Daemon version", g("daemon_version") or fmt.DASH),
        ("OS version", g("os_issue") or fmt.DASH),
        ("Kernel", g("kernel_version") or fmt.DASH),
        ("Memory used/total", _pair(g("mem_used_kb"), g("mem_total_kb"))),
        ("Swap used/free", _pair(g("swap_used_kb"), g("swap_free_kb"))),
        ("Root disk free", _disk(g("root_disk_avail_kb"), g("root_disk_avail_inodes"))),
        ("Daemon disk free", _disk(g("daemon_disk_avail_kb"), g("daemon_disk_avail_inodes"))),
        ("Clock skew", "yes: time_sent far from receipt" if m.skewed else "no"),
    ]  # fmt: skip


def _pair(a_kib: float | None, b_kib: float | None) -> str:
    return f"{fmt.kib_as_gib(a_kib)} / {fmt.kib_as_gib(b_kib)}"


def _disk(kib: float | None, inodes: float | None) -> str:
    return f"{fmt.kib_as_gib(kib)}, {fmt.number(inodes)} inodes"


def _lifecycles(scope: Scope, r: TimeRange) -> list[lifecycles.Lifecycle]:
    """The newest machines of the range with their outcomes, which are read only back to
    the earliest start among them (the newest thousand machines of a site span days)."""
    found = selectors.machines(scope, r)
    since = lifecycles.earliest_start(found, default=r.since)
    window = TimeRange(max(r.since, since), r.until, r.interval)
    return lifecycles.fill_outcomes(found, selectors.shutdown_outcomes(scope, window))


def _lifecycle_rows(lcs: list[lifecycles.Lifecycle], page: Page) -> list[dict[str, Any]]:
    out = []
    for lc in lcs:
        m = lc.message
        eff = lc.efficiency
        out.append(
            {
                "machine": m.machine or "",
                "url": page.links.machine(m.site, m.space, m.factory, m.machine),
                "factory": fmt.short_host(m.factory),
                "factory_url": page.links.factory(m.site, m.space, m.factory),
                "machinetype": m.machinetype or fmt.DASH,
                "machinetype_url": page.links.machinetype(m.site, m.space, m.machinetype),
                "created": fmt.utc(m.get("created_time")),
                "started": fmt.utc(m.get("started_time")),
                "heartbeat": fmt.utc(m.get("heartbeat_time")),
                "shutdown": fmt.utc(lc.shutdown_time),
                "duration": fmt.duration(lc.duration),
                "cpu": fmt.number(m.get("cpu_seconds")),
                "efficiency": fmt.DASH if eff is None else f"{eff:.0f}%",
                "hs06": fmt.number(m.get("hs06"), 1),
                "family": lc.family,
                "message": lc.shutdown_message or fmt.DASH,
            }
        )
    return out


def _outcome_rows(found: list[Shutdown], page: Page, site: str, space: str) -> list[dict[str, str]]:
    return [
        {
            "time": fmt.utc(o.time),
            "factory": fmt.short_host(o.factory),
            "factory_url": page.links.factory(site, space, o.factory),
            "machine": o.machine,
            "family": lifecycles.code_family(o.message),
            "message": o.message,
        }
        for o in found
    ]


def _family_rows(counts: dict[str, int], page: Page, **filters: str | None) -> list[dict[str, Any]]:
    return [
        {
            "family": f,
            "meaning": lifecycles.FAMILY_MEANING[f],
            "count": n,
            "url": page.links.machines(**filters, code=f),
        }
        for f, n in counts.items()
    ]


def _family_chart(counts: dict[str, int]) -> charts.Svg:
    return charts.bars(
        "Shutdown codes of finished machines", list(counts), list(counts.values()), "machines"
    )
