"""Read what the CRR builder needs from the store: the latest statuses in the window.

Only the store interface is used, so both backends feed the publisher the same values.
A stored message that the publisher cannot read (no factory name, say) is skipped and
logged: one bad sender must not stop a whole site from being published.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from factories.messages import Message
from publisher import FactoryStatus, MachinetypeStatus, SpaceInputs, SpaceSettings
from vacmon.models import CrrSpaceSettings
from vacmon.store import Scope, get_store

logger = logging.getLogger(__name__)

T = TypeVar("T", FactoryStatus, MachinetypeStatus)


def heard_spaces(*, since: int) -> set[tuple[str, str]]:
    """(site, space) of every space with a factory heard since `since`."""
    return {(ref.site, ref.space) for ref in get_store().factories(since=since)}


def heard(site: str, space: str | None, *, since: int) -> bool:
    """Whether a factory of this space (any space of the site, for None) reported since."""
    scope = Scope(site=site, space=space)
    return bool(get_store().latest("factory_status", since=since, scope=scope, fields=()))


def site_inputs(site: str, *, since: int, space: str | None = None) -> list[SpaceInputs]:
    """One SpaceInputs per space of `site` heard since `since` (only `space` if given),
    with that space's settings (defaults when the operator has set none)."""
    scope = Scope(site=site, space=space)
    store = get_store()
    factories = _read(
        store.latest("factory_status", since=since, scope=scope), FactoryStatus.from_mapping
    )
    machinetypes = _read(
        store.latest("machinetype_status", since=since, scope=scope),
        MachinetypeStatus.from_mapping,
    )
    by_space = _group(factories)
    mt_by_space = _group(machinetypes)
    settings = space_settings(site, by_space)
    return [
        SpaceInputs(
            site=site,
            space=name,
            factories=by_space[name],
            machinetypes=mt_by_space.get(name, []),
            settings=settings.get(name, SpaceSettings()),
        )
        for name in sorted(by_space)
    ]


def space_settings(site: str, spaces: Iterable[str]) -> dict[str, SpaceSettings]:
    rows = CrrSpaceSettings.objects.filter(site=site, space__in=list(spaces))
    return {row.space: to_space_settings(row) for row in rows}


def to_space_settings(row: CrrSpaceSettings) -> SpaceSettings:
    return SpaceSettings(
        gocdb_site=row.gocdb_site or None,
        os=row.os,
        status=row.status,
        comment=row.comment or None,
        assigned_vos=_vo_overrides(row.assigned_vos),
        publish=row.publish,
    )


def _vo_overrides(raw: object) -> dict[str, tuple[str, ...]]:
    # The API and the admin form check the shape; this guards rows written by hand.
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(machinetype): tuple(str(vo) for vo in vos)
        for machinetype, vos in raw.items()
        if isinstance(vos, list)
    }


def _read(messages: Iterable[Message], parse: Callable[[Mapping[str, object]], T]) -> list[T]:
    statuses = []
    for m in messages:
        try:
            statuses.append(parse({**m.fields, "time_received": m.time_received, "vo": m.vo}))
        except ValueError as exc:
            logger.warning("CRR input skipped: %s/%s/%s: %s", m.site, m.space, m.factory, exc)
    return statuses


def _group(statuses: Iterable[T]) -> dict[str, list[T]]:
    grouped: defaultdict[str, list[T]] = defaultdict(list)
    for status in statuses:
        grouped[status.space].append(status)
    return grouped
