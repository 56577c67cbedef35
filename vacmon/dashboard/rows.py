"""Table rows for the pages: plain text and URLs only (the templates escape them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from factories.messages import Message
from vacmon.capacity import Capacity, is_stale
from vacmon.dashboard import fmt
from vacmon.dashboard.lifecycles import code_family
from vacmon.dashboard.selectors import Usage

if TYPE_CHECKING:
    from vacmon.dashboard.page import Page

NUMBERS = ("machines", "processors", "hs06", "max_processors", "max_hs06", "factories", "stale")


def stale(m: Message, ref: int) -> bool:
    return is_stale(m, ref)


def usage_cells(u: Usage) -> dict[str, Any]:
    return {
        "machines": fmt.number(u.machines),
        "processors": fmt.number(u.processors),
        "hs06": fmt.number(u.hs06, 1),
        "num": {"machines": u.machines, "processors": u.processors, "hs06": u.hs06},
    }


def capacity_rows(
    caps: Iterable[Capacity],
    usage: dict[Any, dict[str, Usage]],
    vo: str | None,
    url_for: Callable[[str], str],
    vo_url: Callable[[str], str],
) -> list[dict[str, Any]]:
    """One row per site (or space) with running usage and capacity. With a VO filter the
    running figures are that VO's, and places where the VO runs nothing are left out."""
    out = []
    for cap in caps:
        per_vo = usage.get(cap.name, {})
        if vo is not None:
            if vo not in per_vo:
                continue
            running = per_vo[vo]
        else:
            t = cap.totals
            running = Usage(t["running_machines"], t["running_processors"], t["running_hs06"])
        row = usage_cells(running)
        row["num"].update(
            max_processors=cap.totals["max_processors"],
            max_hs06=cap.totals["max_hs06"],
            factories=cap.factories,
            stale=cap.stale_factories,
        )
        row.update(
            name=cap.name,
            url=url_for(cap.name),
            children=len(cap.children),
            factories=cap.factories,
            stale=cap.stale_factories,
            max_processors=fmt.number(cap.totals["max_processors"]),
            max_hs06=fmt.number(cap.totals["max_hs06"], 1),
            last_seen=fmt.utc(cap.last_seen),
            by_vo=[
                (name, fmt.number(u.processors), vo_url(name))
                for name, u in sorted(per_vo.items(), key=lambda kv: -kv[1].processors)
            ],
        )
        out.append(row)
    return out


def totals(rows: list[dict[str, Any]]) -> dict[str, str]:
    sums = {k: sum(r["num"].get(k, 0) for r in rows) for k in NUMBERS}
    return {k: fmt.number(v, 1 if k in ("hs06", "max_hs06") else 0) for k, v in sums.items()}


def factory_rows(
    latest: Iterable[Message], page: Page, site: str, space: str
) -> list[dict[str, Any]]:
    """The original's factory table (spec 4.4) plus staleness and trust flags."""
    now = page.params.now
    out = []
    for m in sorted(latest, key=lambda m: m.factory):
        out.append(
            {
                "name": fmt.short_host(m.factory),
                "factory": m.factory,
                "url": page.links.factory(site, space, m.factory),
                "load": fmt.number(m.get("load_average"), 2),
                "procs": fmt.ratio(m.get("running_processors"), m.get("max_processors")),
                "machines": fmt.ratio(m.get("running_machines"), m.get("max_machines")),
                "last_age": fmt.age(now - m.time_received),
                "last_utc": fmt.utc(m.time_received),
                "daemon": fmt.daemon_version(m.get("daemon_version")),
                "boot": fmt.age_since(m.get("boot_time"), now),
                "os": m.get("os_issue") or fmt.DASH,
                "stale": stale(m, page.ref),
                "skewed": m.skewed,
            }
        )
    return out


def machinetype_rows(messages: Iterable[Message], page: Page) -> list[dict[str, Any]]:
    """One row per (site, space, machinetype): current usage summed over live factories and
    the newest shutdown any factory reported for it."""
    groups: dict[tuple[str, str, str], list[Message]] = {}
    for m in messages:
        groups.setdefault((m.site, m.space, m.machinetype or ""), []).append(m)
    out = []
    for (site, space, mt), msgs in sorted(groups.items()):
        live = [m for m in msgs if not stale(m, page.ref)]
        used = Usage()
        for m in live:
            used.add(m)
        last = max(msgs, key=lambda m: m.get("shutdown_time") or 0)
        out.append(
            {
                "site": site,
                "space": space,
                "name": mt,
                "url": page.links.machinetype(site, space, mt),
                "vo": last.vo or "",
                "vo_url": page.links.vo(last.vo),
                "fqan": last.get("fqan") or fmt.DASH,
                "factories": len(msgs),
                "stale": len(msgs) - len(live),
                "before_fizzle": fmt.number(sum(m.get("num_before_fizzle") or 0 for m in live)),
                **usage_cells(used),
                **shutdown_cells(last, page),
            }
        )
    return out


def shutdown_cells(m: Message, page: Page) -> dict[str, Any]:
    text = m.get("shutdown_message")
    return {
        "shutdown_time": fmt.utc(m.get("shutdown_time")),
        "shutdown_message": text or fmt.DASH,
        "shutdown_family": code_family(text) if text else "",
        "shutdown_machine": m.get("shutdown_machine") or "",
        "shutdown_factory": fmt.short_host(m.factory) if text else "",
        "shutdown_factory_url": page.links.factory(m.site, m.space, m.factory) if text else "",
    }
