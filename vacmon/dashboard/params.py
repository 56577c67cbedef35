"""What every page reads from its query string: the time range and the VO filter.

`?range=hour|day|week|month|year` (default day) or a custom `?from=&to=` (epoch seconds, ISO
8601, or the naive `YYYY-MM-DDTHH:MM` of an <input type="datetime-local">, read as UTC), plus
`?vo=`. Links between pages carry these along (`PageParams.query`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest

from vacmon.dashboard import fmt
from vacmon.timerange import BadRange, TimeRange, parse_range

RANGES = {
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}
DEFAULT_RANGE = "day"
# Chart buckets are never narrower than 5 minutes, as on the original dashboard: factories
# report every minute or few, so narrower buckets only show who reported when, and they
# would be read from raw messages instead of the 5-minute rollups. (The read API still
# takes any ?interval= of a minute or more.)
MIN_INTERVAL = 300
# Relative ranges end at the next whole minute: pages refresh every minute, so requests in
# the same minute share one range and therefore one cache entry.
QUANTUM = 60
_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")


@dataclass(frozen=True)
class PageParams:
    range_key: str  # one of RANGES, or "custom"
    since: int
    until: int
    interval: int
    now: int
    vo: str | None
    error: str = ""

    @property
    def time_range(self) -> TimeRange:
        return TimeRange(self.since, self.until, self.interval)

    @property
    def carried(self) -> dict[str, str]:
        out = (
            {"from": str(self.since), "to": str(self.until)}
            if self.range_key == "custom"
            else ({"range": self.range_key} if self.range_key != DEFAULT_RANGE else {})
        )
        if self.vo:
            out["vo"] = self.vo
        return out

    @property
    def query(self) -> str:
        """The query string (with its "?") that keeps this range and VO on a linked page."""
        carried = self.carried
        return "?" + urlencode(carried) if carried else ""

    def with_query(self, path: str, **extra: str | None) -> str:
        params = {**self.carried, **{k: v for k, v in extra.items() if v}}
        return path + ("?" + urlencode(params) if params else "")

    def without_vo(self, path: str, query: Mapping[str, str]) -> str:
        """This page's URL with every parameter kept except the VO filter."""
        kept = {k: v for k, v in query.items() if k != "vo"}
        return path + ("?" + urlencode(kept) if kept else "")

    @property
    def from_input(self) -> str:
        return fmt.utc_input(self.since)

    @property
    def to_input(self) -> str:
        return fmt.utc_input(self.until)

    @property
    def from_text(self) -> str:
        return fmt.utc(self.since)

    @property
    def to_text(self) -> str:
        return fmt.utc(self.until)

    @property
    def is_live(self) -> bool:
        return self.range_key != "custom"


def page_params(request: HttpRequest, now: int | None = None) -> PageParams:
    now = int(time.time()) if now is None else now
    vo = (request.GET.get("vo") or "").strip() or None
    key = request.GET.get("range") or DEFAULT_RANGE
    custom = bool(request.GET.get("from") or request.GET.get("to"))
    if custom and key in (DEFAULT_RANGE, "custom"):
        try:
            r = parse_range(
                {"from": _utc(request.GET.get("from")), "to": _utc(request.GET.get("to"))},
                now=now,
            )
            return PageParams("custom", r.since, r.until, max(r.interval, MIN_INTERVAL), now, vo)
        except BadRange as exc:
            return relative(DEFAULT_RANGE, now, vo, error=f"Bad time range: {exc}")
    if key == "custom":
        key = DEFAULT_RANGE  # "custom" without dates: nothing to be custom about
    if key not in RANGES:
        return relative(DEFAULT_RANGE, now, vo, error=f"Unknown range {key!r}")
    return relative(key, now, vo)


def relative(key: str, now: int, vo: str | None, error: str = "") -> PageParams:
    """The preset range `key` ending at the next whole minute after `now`."""
    until = -(-now // QUANTUM) * QUANTUM
    r = parse_range({"from": str(until - RANGES[key]), "to": str(until)}, now=now)
    return PageParams(key, r.since, r.until, max(r.interval, MIN_INTERVAL), now, vo, error)


def _utc(value: str | None) -> str:
    value = (value or "").strip()
    return value + "Z" if _NAIVE.match(value) else value
