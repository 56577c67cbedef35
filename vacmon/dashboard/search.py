"""The search box: a site, space, factory or machinetype by substring, a machine by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vacmon.dashboard import selectors
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

    def add(kind: str, name: str, context: str, url: Callable[..., str], *parts: str) -> None:
        # The link is built only for a match: reversing URLs for every sender is the
        # costliest part of a search.
        if needle not in name.lower():
            return
        link = url(*parts)
        if link and (kind, link) not in hits:
            hits[(kind, link)] = Hit(kind, name, context, link, name.lower() == needle)

    factories, machinetypes, machines = page.read(
        lambda: selectors.known_factories(now - WINDOW),
        lambda: selectors.machinetype_names(now - WINDOW),
        lambda: selectors.machine_messages(Scope(machine=query), now - MACHINE_WINDOW, now),
    )
    for ref in factories:
        site, space, factory = ref.site, ref.space, ref.factory
        add("site", site, "", links.site, site)
        add("space", space, site, links.space, site, space)
        add("factory", factory, space, links.factory, site, space, factory)
    for site, space, mt in machinetypes:
        add("machinetype", mt, space, links.machinetype, site, space, mt)
    for m in machines[:1]:
        machine = m.machine or ""
        add("machine", machine, m.factory, links.machine, m.site, m.space, m.factory, machine)
    ranked = sorted(hits.values(), key=lambda h: (not h.exact, h.kind, h.name))
    return ranked[:MAX_HITS]
