"""What every dashboard page shares: range and VO parameters, links, breadcrumbs, charts."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from vacmon.dashboard import charts, selectors
from vacmon.dashboard.links import Links
from vacmon.dashboard.params import RANGES, PageParams, page_params
from vacmon.store import Series, get_store

REFRESH_SECONDS = 60


@dataclass
class Page:
    request: HttpRequest
    params: PageParams
    links: Links
    crumbs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def scope_vo(self) -> str | None:
        return self.params.vo

    @property
    def ref(self) -> int:
        """The moment staleness is judged at: now, or the end of a past range."""
        return min(self.params.now, self.params.until)

    def context(self, **extra: Any) -> dict[str, Any]:
        pp = self.params
        return {
            "pp": pp,
            "links": self.links,
            "crumbs": self.crumbs,
            "ranges": list(RANGES),
            "vos": vo_choices(pp),
            "refresh_seconds": REFRESH_SECONDS if pp.is_live else 0,
            "stale_seconds": settings.VACMON_STALE_SECONDS,
            "overview_url": self.links.overview(),
            "all_vos_url": pp.without_vo(self.request.path, self.request.GET),
            **extra,
        }

    def read(self, *calls: Callable[[], Any]) -> list[Any]:
        """The results of `calls`, reads of the store that do not depend on each other, made
        together with the VO menu's (`context` then finds the menu in the cache): on
        Elasticsearch their searches go as one round trip (`Store.together`)."""
        since = self.params.time_range.since
        return get_store().together([*calls, lambda: selectors.vo_names(since)])[:-1]


def make_page(request: HttpRequest, *crumbs: tuple[str, str]) -> Page:
    params = page_params(request)
    links = Links(params)
    return Page(request, params, links, [("VacMon", links.overview()), *crumbs])


def vo_choices(pp: PageParams) -> list[str]:
    found = set(selectors.vo_names(pp.time_range.since))
    if pp.vo:
        found.add(pp.vo)
    return sorted(found)


def chart(
    title: str,
    data: Series,
    *,
    unit: str = "",
    lines: Mapping[str, Sequence[float | None]] | None = None,
    links: Mapping[str, str] | None = None,
    highlight: Collection[str] = (),
    scale: float = 1.0,
) -> charts.Svg:
    stacked = data.values
    if scale != 1.0:
        stacked = {k: [None if v is None else v * scale for v in row] for k, row in stacked.items()}
    return charts.render(
        charts.Chart(
            title=title,
            times=data.times,
            interval=data.interval,
            stacked=stacked,
            lines=lines or {},
            unit=unit,
            links=links or {},
            highlight=highlight,
        )
    )


def line_chart(
    title: str,
    times: Sequence[int],
    interval: int,
    lines: Mapping[str, Sequence[float | None]],
    unit: str = "",
) -> charts.Svg:
    return charts.render(
        charts.Chart(title=title, times=times, interval=interval, lines=lines, unit=unit)
    )


def scaled(values: Sequence[float | None], factor: float) -> list[float | None]:
    return [None if v is None else v * factor for v in values]


def only(data: Series) -> list[float | None]:
    """The single group of a series scoped to one sender (a gap-only row if none)."""
    if not data.values:
        return [None] * len(data.times)
    return next(iter(data.values.values()))
