"""Derive the facts of one space from the latest statuses heard in the window.

Rules (spec crr-etf-sam 1.7, vac-protocol 5.2):
- only statuses of this space with `time_received >= now - window` count, and of
  those only the latest per factory (per factory and machinetype for machinetypes), so
  the caller may pass either the latest statuses or everything in the window;
- capacity is the sum over factories of the latest `max_processors` / `max_hs06`;
  missing values are skipped (Vcycle may send null);
- the framework and version come from the most recently heard factory;
- one share per machinetype. Each figure is the most recently reported non-null one
  across the space's factories: during an upgrade an old factory may be the latest to
  speak yet lack `bytes_per_processor`, and the newer factories still know it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

from publisher.inputs import (
    DEFAULT_WINDOW_SECONDS,
    FactoryStatus,
    MachinetypeStatus,
    SpaceInputs,
    SpaceSettings,
)
from publisher.model import DaemonVersion, Post2019Fields, ResourceFacts, ShareFacts
from publisher.units import logical_cpus

S = TypeVar("S", FactoryStatus, MachinetypeStatus)


def build_resource(
    inputs: SpaceInputs, *, now: int, window_seconds: int = DEFAULT_WINDOW_SECONDS
) -> ResourceFacts | None:
    """The facts of one space, or None when no factory of it was heard in the window."""
    since = now - window_seconds
    factories = _latest(inputs.factories, inputs.space, since, lambda s: s.factory)
    if not factories:
        return None
    machinetypes = _latest(
        inputs.machinetypes, inputs.space, since, lambda s: (s.factory, s.machinetype)
    )
    settings = inputs.settings
    total_processors = _sum(f.max_processors for f in factories)
    return ResourceFacts(
        resource_id=inputs.space,
        site=settings.gocdb_site or inputs.site,
        daemon=_daemon(factories),
        status=settings.status,
        os=settings.os,
        comment=settings.comment,
        total_processors=total_processors,
        total_hs06=_sum(f.max_hs06 for f in factories),
        shares=_shares(machinetypes, settings),
        publication_time=now,
        fallback_max_wallclock_seconds=settings.fallback_max_wallclock_seconds,
        fallback_bytes_per_processor=settings.fallback_bytes_per_processor,
        post_2019=Post2019Fields(processors=logical_cpus(total_processors)),
    )


def _newest_first(statuses: Iterable[S]) -> list[S]:
    # Ties on time_received (seconds resolution) are broken by factory name so the
    # output does not depend on the order the store returned rows in.
    return sorted(statuses, key=lambda s: (s.time_received, s.factory), reverse=True)


def _latest(statuses: Sequence[S], space: str, since: int, key: Callable[[S], Hashable]) -> list[S]:
    latest: dict[Hashable, S] = {}
    for status in _newest_first(statuses):
        if status.space == space and status.time_received >= since:
            latest.setdefault(key(status), status)
    return list(latest.values())


def _sum(values: Iterable[float | None]) -> float:
    # Statuses built by hand (not via from_mapping) may still carry NaN or Infinity;
    # one such figure would otherwise poison the whole sum.
    return sum(v for v in values if v is not None and math.isfinite(v))


def _daemon(factories: Sequence[FactoryStatus]) -> DaemonVersion:
    for factory in _newest_first(factories):
        if factory.daemon_version:
            return DaemonVersion.parse(factory.daemon_version)
    return DaemonVersion.parse(None)


def _shares(
    statuses: Sequence[MachinetypeStatus], settings: SpaceSettings
) -> tuple[ShareFacts, ...]:
    by_name: dict[str, list[MachinetypeStatus]] = {}
    for status in _newest_first(statuses):
        by_name.setdefault(status.machinetype, []).append(status)
    return tuple(_share(name, by_name[name], settings) for name in sorted(by_name))


def _share(name: str, newest_first: list[MachinetypeStatus], settings: SpaceSettings) -> ShareFacts:
    override = settings.assigned_vos.get(name)
    if override is not None:
        vos = tuple(dict.fromkeys(override))
    else:
        vo = _newest(s.effective_vo for s in newest_first)
        vos = (vo,) if vo else ()
    return ShareFacts(
        machinetype=name,
        vos=vos,
        max_wallclock_seconds=_newest(s.max_wallclock_seconds for s in newest_first),
        bytes_per_processor=_newest(s.bytes_per_processor for s in newest_first),
        max_processors=_newest(s.max_processors for s in newest_first),
    )


T = TypeVar("T", float, str)


def _newest(values: Iterable[T | None]) -> T | None:
    usable = (v for v in values if v is not None)
    return next((v for v in usable if isinstance(v, str) or math.isfinite(v)), None)
