"""The search box: a site, space, factory or machinetype by substring, a machine by name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vacmon.dashboard import queries
from vacmon.store import Scope

if TYPE_CHECKING:
    from vacmon.dashboard.page import Page

WINDOW = 30 * 86400
MACHINE_WINDOW = 7 * 86400
MAX_HITS = 50


@dataclass(frozen=True)
class Hit:
    kind: str
    name: str
    context: str
    url: str
    exact: bool


def find(query: str, page: Page) -> list[Hit]:
    """Hits ranked exact-first; a machine is looked up by its exact name only, because
    machines are far too many to scan for substrings."""
    needle = query.lower()
    links = page.links
    now = page.params.now
    hits: dict[tuple[str, str], Hit] = {}

    def add(kind: str, name: str, context: str, url: str) -> None:
        if needle in name.lower() and url and (kind, url) not in hits:
            hits[(kind, url)] = Hit(kind, name, context, url, name.lower() == needle)

    for ref in queries.known_factories(now - WINDOW):
        add("site", ref.site, "", links.site(ref.site))
        add("space", ref.space, ref.site, links.space(ref.site, ref.space))
        add("factory", ref.factory, ref.space, links.factory(ref.site, ref.space, ref.factory))
    for m in queries.machinetypes_latest(Scope(), page.params.time_range, now):
        mt = m.machinetype or ""
        add("machinetype", mt, m.space, links.machinetype(m.site, m.space, mt))
    for m in queries.machine_messages(Scope(machine=query), now - MACHINE_WINDOW, now)[:1]:
        add(
            "machine",
            m.machine or "",
            m.factory,
            links.machine(m.site, m.space, m.factory, m.machine),
        )
    ranked = sorted(hits.values(), key=lambda h: (not h.exact, h.kind, h.name))
    return ranked[:MAX_HITS]
