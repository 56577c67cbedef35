"""Read functions of the dashboard, over the store interface and `vacmon.capacity`.

Everything a page needs is fetched here and cached for a minute (the refresh period of the
pages): relative ranges end on a whole minute (see params.QUANTUM), so every viewer of a page
within that minute shares one set of store queries.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.conf import settings

from factories.messages import Message
from vacmon.capacity import is_stale
from vacmon.dashboard import factory_report
from vacmon.dashboard.lifecycles import LIFECYCLE_FIELDS
from vacmon.dashboard.memo import digest, remember
from vacmon.dashboard.settled import chart_series_many, split_compute, split_history
from vacmon.store import FactoryRef, Scope, Series, get_store
from vacmon.store.series import bucket_starts, total
from vacmon.store.shutdowns import Shutdown
from vacmon.timerange import TimeRange

P = ParamSpec("P")
T = TypeVar("T")

# A range that ends this close to now is "current": its latest state comes from the
# latest-state table instead of a scan of the raw messages.
CURRENT_SLACK = 120
HISTORIC_WINDOW = 86400
MACHINES_LIMIT = 1000
OUTCOMES_LIMIT = 10000


def cache_seconds() -> int:
    return int(getattr(settings, "VACMON_DASHBOARD_CACHE_SECONDS", 60))


def cached(fn: Callable[P, T]) -> Callable[P, T]:
    """Memoise in Django's cache under a digest of the function name and arguments (all
    plain values: scopes, ranges, strings)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        seconds = cache_seconds()
        if seconds <= 0:
            return fn(*args, **kwargs)
        key = digest("dash:", (fn.__module__, fn.__qualname__, args, sorted(kwargs.items())))
        return remember(key, seconds, lambda: fn(*args, **kwargs))

    return wrapper


@dataclass
class Usage:
    machines: float = 0.0
    processors: float = 0.0
    hs06: float = 0.0

    def add(self, m: Message) -> None:
        self.machines += m.get("running_machines") or 0
        self.processors += m.get("running_processors") or 0
        self.hs06 += m.get("running_hs06") or 0


# ---- series --------------------------------------------------------------------------------


def running(metric: str, group_by: str, scope: Scope, r: TimeRange) -> Series:
    return running_many((metric,), group_by, scope, r)[metric]


def running_many(
    metrics: tuple[str, ...], group_by: str, scope: Scope, r: TimeRange
) -> dict[str, Series]:
    """Running machines/processors/HS06. Site, space and factory breakdowns come from the
    factories' own totals, as the original did; VO and machinetype breakdowns (and anything
    filtered by VO) from machinetype_status, the only messages that carry a VO. Factory
    usage by site is read with the capacity lines drawn over it (`FLEET`)."""
    if group_by in ("vo", "machinetype") or scope.vo or scope.machinetype:
        return machinetype_metrics(metrics, group_by, scope, r)
    if group_by == "site" and set(metrics) <= set(FLEET):
        return factory_metrics(FLEET, group_by, scope, r)
    return factory_metrics(metrics, group_by, scope, r)


def factory_metric(metric: str, group_by: str, scope: Scope, r: TimeRange) -> Series:
    return factory_metrics((metric,), group_by, scope, r)[metric]


@cached
def factory_metrics(
    metrics: tuple[str, ...], group_by: str, scope: Scope, r: TimeRange
) -> dict[str, Series]:
    return chart_series_many("factory_status", metrics, group_by, scope, r)


@cached
def machinetype_metrics(
    metrics: tuple[str, ...], group_by: str, scope: Scope, r: TimeRange
) -> dict[str, Series]:
    return chart_series_many("machinetype_status", metrics, group_by, scope, r)


CAPACITY = ("max_processors", "max_hs06")
# The usage metrics the fleet, site and space charts draw side by side.
RUNNING = ("running_processors", "running_hs06")
# Factory usage and capacity by site, which the overview charts together: one read.
FLEET = (*RUNNING, *CAPACITY)


def usage_and_capacity(
    by: str, scope: Scope, r: TimeRange
) -> tuple[dict[str, Series], tuple[list[float | None], list[float | None]]]:
    """Running usage (`RUNNING`) grouped by `by`, and the capacity lines drawn over it: one
    read where both are the factories' totals by site (`FLEET`), else two made together
    (made together, the one read would be computed twice, once for each)."""
    plain = Scope(site=scope.site, space=scope.space, factory=scope.factory)
    if by == "site" and scope == plain:
        charted = factory_metrics(FLEET, "site", plain, r)
        return charted, _capacity(charted)
    found: list[Any] = get_store().together(
        [lambda: running_many(RUNNING, by, scope, r), lambda: capacity_lines(scope, r)]
    )
    return found[0], found[1]


def capacity_lines(scope: Scope, r: TimeRange) -> tuple[list[float | None], list[float | None]]:
    """Σ max_processors and Σ max_hs06 of the factories in scope; capacity has no VO. Read
    with the factories' usage by site (`FLEET`), for the charts that draw both."""
    plain = Scope(site=scope.site, space=scope.space, factory=scope.factory)
    return _capacity(factory_metrics(FLEET, "site", plain, r))


def _capacity(fleet: dict[str, Series]) -> tuple[list[float | None], list[float | None]]:
    return total(fleet["max_processors"]), total(fleet["max_hs06"])


# ---- latest state --------------------------------------------------------------------------


def _is_current(r: TimeRange, now: int) -> bool:
    return r.until >= now - CURRENT_SLACK


def factories_latest(
    scope: Scope, r: TimeRange, now: int, fields: tuple[str, ...] | None = None
) -> list[Message]:
    """The newest factory_status per factory as of the end of the range (with just
    `fields`, if given)."""
    plain = Scope(site=scope.site, space=scope.space, factory=scope.factory)
    return _latest("factory_status", plain, r, _is_current(r, now), fields)


def machinetype_names(since: int) -> list[tuple[str, str, str]]:
    """(site, space, machinetype) of every machinetype heard from since `since`."""
    return _roster(since - since % ROSTER_SECONDS)[1]


def vo_names(since: int) -> list[str]:
    """The VOs of machinetypes heard from since `since`."""
    return _roster(since - since % ROSTER_SECONDS)[0]


# Which VOs and machinetypes exist changes rarely; the menu and the search read it from a
# ten-minute cache rather than every machinetype's latest message on every page.
ROSTER_SECONDS = 600


def _roster(since: int) -> tuple[list[str], list[tuple[str, str, str]]]:
    def compute() -> tuple[list[str], list[tuple[str, str, str]]]:
        known = get_store().machinetypes(since=since)
        return (
            sorted({m.vo for m in known if m.vo}),
            sorted({(m.site, m.space, m.machinetype) for m in known}),
        )

    return remember(f"dash:roster:{since}", ROSTER_SECONDS, compute)


def machinetypes_latest(
    scope: Scope, r: TimeRange, now: int, fields: tuple[str, ...] | None = None
) -> list[Message]:
    return _latest("machinetype_status", scope, r, _is_current(r, now), fields)


# What usage_by reads of machinetype messages.
USAGE_FIELDS = ("running_machines", "running_processors", "running_hs06")


@cached
def _latest(
    message_type: str,
    scope: Scope,
    r: TimeRange,
    current: bool,
    fields: tuple[str, ...] | None,
) -> list[Message]:
    # Keyed on the range, not on `now`: every request of a minute shares the entry. The
    # one-day window then starts up to a minute early, which changes nothing that matters.
    store = get_store()
    until = None if current else r.until
    return store.latest(
        message_type, since=r.until - HISTORIC_WINDOW, until=until, scope=scope, fields=fields
    )


def usage_by(
    messages: list[Message], key: Callable[[Message], Any], ref: int
) -> dict[Any, dict[str, Usage]]:
    """Current running usage per key and VO from machinetype messages; stale senders count
    for nothing, like stale factories in the capacity totals."""
    out: dict[Any, dict[str, Usage]] = {}
    for m in messages:
        if is_stale(m, ref):
            continue
        per_vo = out.setdefault(key(m), {})
        per_vo.setdefault(m.vo or "unknown", Usage()).add(m)
    return out


def total_usage(per_vo: dict[str, Usage]) -> Usage:
    out = Usage()
    for u in per_vo.values():
        out.machines += u.machines
        out.processors += u.processors
        out.hs06 += u.hs06
    return out


# ---- history -------------------------------------------------------------------------------


@cached
def factory_health(scope: Scope, r: TimeRange, limit: int) -> factory_report.Summary:
    """Heartbeat ages and versions from the newest `limit` factory messages of the settled
    part of the range and of its newest buckets; the settled part is cached as its summary,
    not as the messages."""
    times = bucket_starts(r.since, r.until, r.interval)

    def summary(since: int, until: int) -> factory_report.Summary:
        return factory_report.read(get_store(), scope, since, until, r.interval, times, limit)

    return split_compute(("health", scope, limit, times[0]), r, summary, factory_report.merge)


@cached
def machines(scope: Scope, r: TimeRange, limit: int = MACHINES_LIMIT) -> list[Message]:
    """Machine messages with just what a lifecycle row shows."""
    return split_history("machine_status", scope, r, limit, LIFECYCLE_FIELDS)


@cached
def shutdown_outcomes(scope: Scope, r: TimeRange) -> list[Shutdown]:
    """Machine outcomes with a shutdown time in the range, newest first (bounded)."""
    mt_scope = Scope(
        site=scope.site,
        space=scope.space,
        factory=scope.factory,
        machinetype=scope.machinetype,
        vo=scope.vo,
    )
    return get_store().shutdowns(since=r.since, until=r.until, scope=mt_scope, limit=OUTCOMES_LIMIT)


@cached
def machine_messages(scope: Scope, since: int, until: int) -> list[Message]:
    """Every message about one machine (normally one), newest first."""
    return get_store().history("machine_status", since=since, until=until, scope=scope, limit=20)


@cached
def known_factories(since: int) -> list[FactoryRef]:
    return get_store().factories(since=since)
