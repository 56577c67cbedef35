"""URLs of dashboard pages, carrying the current range and VO.

Names come from messages, so a name a route cannot hold (one with a "/", empty, "." or "..",
see vacmon.routes) gives "" and the template shows plain text instead of a link.
"""

from __future__ import annotations

import functools
from urllib.parse import quote, urlencode

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from vacmon.dashboard.params import PageParams
from vacmon.routes import routable


@functools.lru_cache(maxsize=4096)
def _path(prefix: str, urlconf: str | None, name: str, args: tuple[str, ...]) -> str:
    """A page's path, or "" when no route holds the names. Remembered: a table of a hundred
    machines links the same few factories and machinetypes on every row, and on every
    refresh. `prefix` (the script prefix `reverse` reads) is part of the key."""
    try:
        return str(reverse(f"dashboard:{name}", urlconf=urlconf, args=args))
    except NoReverseMatch:
        return ""


class Links:
    def __init__(self, params: PageParams) -> None:
        self.params = params

    def _url(self, name: str, *args: str, **extra: str | None) -> str:
        if not all(routable(a) for a in args):
            return ""
        path = _path(get_script_prefix(), get_urlconf(), name, args)
        return self.params.with_query(path, **extra) if path else ""

    def overview(self) -> str:
        return self._url("overview")

    def site(self, site: str) -> str:
        return self._url("site", site)

    def space(self, site: str, space: str) -> str:
        return self._url("space", site, space)

    def factory(self, site: str, space: str, factory: str) -> str:
        return self._url("factory", site, space, factory)

    def machinetype(self, site: str, space: str, machinetype: str | None) -> str:
        return self._url("machinetype", site, space, machinetype or "")

    def machine(self, site: str, space: str, factory: str, machine: str | None) -> str:
        return self._url("machine", site, space, factory, machine or "")

    def vos(self) -> str:
        return self._url("vos")

    def search(self) -> str:
        return self._url("search")

    def vo(self, vo: str | None) -> str:
        # The VO page is about one VO, so the VO filter is not carried onto it.
        if not vo or not routable(vo):
            return ""
        try:
            path: str = reverse("dashboard:vo", args=[vo])
        except NoReverseMatch:
            return ""
        carried = {k: v for k, v in self.params.carried.items() if k != "vo"}
        return path + ("?" + urlencode(carried) if carried else "")

    def machines(self, **filters: str | None) -> str:
        return self._url("machines", **filters)

    def crr(self, site: str, space: str) -> str:
        if not (routable(site) and routable(space)):
            return ""
        # Served by the publisher; no range applies to it.
        return f"/crr/{quote(site)}/{quote(space)}/crr.json"
