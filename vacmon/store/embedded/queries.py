"""Read queries of the embedded store: latest state, history and factory lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import F, Q

from factories.messages import Message
from vacmon.models import LatestStatus, MachineShutdown
from vacmon.store.base import ENTITY, FactoryRef, MachinetypeRef, Scope
from vacmon.store.embedded.tables import LATEST_FIGURES, model_for, read_rows, stored_message
from vacmon.store.shutdowns import Shutdown


def scope_q(message_type: str, scope: Scope) -> Q:
    return Q(*scope.terms(message_type))


def latest(
    message_type: str,
    *,
    since: int,
    until: int | None,
    scope: Scope,
    fields: Sequence[str] | None = None,
) -> list[Message]:
    if until is None and message_type != "machine_status":
        if fields is not None and set(fields) <= set(LATEST_FIGURES):
            return _latest_figures(message_type, since, scope, tuple(fields))
        return _latest_from_table(message_type, since, scope, fields)
    return _latest_in_window(message_type, since, until, scope, fields)


def _latest_figures(
    message_type: str, since: int, scope: Scope, fields: tuple[str, ...]
) -> list[Message]:
    """The newest messages with just some of the figures the latest-state table keeps
    itself: one read of that table, no raw rows."""
    machinetypes = message_type == "machinetype_status"
    rows = _pointers(message_type, since, scope)
    cols = ("site", "space", "factory", "item", "vo", "time_sent", "time_received")
    out = []
    for row in rows.values_list(*cols, "skewed", "trusted", *fields):
        site, space, factory, item, vo, sent, received, skewed, trusted = row[:9]
        figures = {f: v for f, v in zip(fields, row[9:], strict=True) if v is not None}
        out.append(
            stored_message(
                message_type,
                site,
                space,
                factory,
                sent,
                received,
                figures,
                skewed=skewed,
                trusted=trusted,
                machinetype=item if machinetypes else None,
                vo=vo if machinetypes else None,
            )
        )
    return sorted(out, key=lambda m: _sort_key(tuple(getattr(m, c) for c in ENTITY[message_type])))


def _pointers(message_type: str, since: int, scope: Scope) -> Any:
    """The latest-state rows of `message_type` in scope heard from since `since` (a
    machinetype's VO is that of the newest message, which the row points at)."""
    pointers = LatestStatus.objects.filter(message_type=message_type, time_received__gte=since)
    # The table keeps the machinetype as its `item`.
    terms = {"item" if name == "machinetype" else name: v for name, v in scope.terms(message_type)}
    return pointers.filter(**terms)


def _latest_from_table(
    message_type: str, since: int, scope: Scope, fields: Sequence[str] | None
) -> list[Message]:
    """The raw rows the latest-state table points at, fetched by natural key.

    Two steps on purpose: with a join, SQLite may drive it from the raw table's site index
    and read a site's whole history; a list of keys always uses the unique key index."""
    pointers = _pointers(message_type, since, scope)
    keys = list(pointers.values_list("site", "space", "factory", "item", "time_sent"))
    by_space: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    for site, space, factory, item, sent in keys:
        by_space.setdefault((site, space), []).append((factory, item, sent))
    spaces = list(by_space.items())
    rows: list[Message] = []
    for at in range(0, len(spaces), SPACES_PER_QUERY):
        chunk = spaces[at : at + SPACES_PER_QUERY]
        rows += _rows_for_spaces(message_type, chunk, fields)
    return _newest_per_entity(message_type, rows)


# Bounds the bound parameters of one statement (about 30 per space) well below SQLite's
# limit of 32,766.
SPACES_PER_QUERY = 200


def _rows_for_spaces(
    message_type: str,
    spaces: list[tuple[tuple[str, str], list[tuple[str, str, int]]]],
    fields: Sequence[str] | None,
) -> list[Message]:
    """One query: per space, IN lists on the natural-key columns, OR-ed. SQLite answers it
    with one unique-key index search per space (a multi-index OR) and PostgreSQL with a
    bitmap OR; the few extra key combinations the IN lists match are dropped here."""
    machinetypes = message_type == "machinetype_status"
    where = Q()
    for (site, space), members in spaces:
        term = Q(
            site=site,
            space=space,
            factory__in={f for f, _, _ in members},
            time_sent__in={t for _, _, t in members},
        )
        if machinetypes:
            term &= Q(machinetype__in={i for _, i, _ in members})
        where |= term
    qs = model_for(message_type).objects.filter(where)  # type: ignore[attr-defined]
    wanted = {(site, space, *member) for (site, space), members in spaces for member in members}
    return [
        m
        for m in read_rows(message_type, qs, fields)
        if (m.site, m.space, m.factory, (m.machinetype or "") if machinetypes else "", m.time_sent)
        in wanted
    ]


def _latest_in_window(
    message_type: str, since: int, until: int | None, scope: Scope, fields: Sequence[str] | None
) -> list[Message]:
    model = model_for(message_type)
    qs = model.objects.filter(scope_q(message_type, scope), time_received__gte=since)  # type: ignore[attr-defined]
    # Never the latest: a message sent from beyond the skew window ahead (store.base.ahead).
    qs = qs.exclude(skewed=True, time_sent__gt=F("time_received"))
    if until is not None:
        qs = qs.filter(time_received__lte=until)
    return _newest_per_entity(
        message_type, read_rows(message_type, qs.order_by("time_received", "time_sent"), fields)
    )


def _newest_per_entity(message_type: str, rows: list[Message]) -> list[Message]:
    entity = ENTITY[message_type]
    newest: dict[tuple[Any, ...], Message] = {}
    for row in rows:
        key = tuple(getattr(row, c) for c in entity)
        seen = newest.get(key)
        if seen is None or (row.time_sent, row.time_received) >= (
            seen.time_sent,
            seen.time_received,
        ):
            newest[key] = row
    return [newest[k] for k in sorted(newest, key=_sort_key)]


def _sort_key(key: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(str(part or "") for part in key)


def history(
    message_type: str,
    *,
    since: int,
    until: int,
    scope: Scope,
    limit: int,
    fields: Sequence[str] | None = None,
) -> list[Message]:
    model = model_for(message_type)
    qs = model.objects.filter(  # type: ignore[attr-defined]
        scope_q(message_type, scope), time_received__gte=since, time_received__lte=until
    ).order_by("-time_received", "-id")[:limit]
    return read_rows(message_type, qs, fields)


def factories(*, since: int, scope: Scope) -> list[FactoryRef]:
    qs = _pointers("factory_status", since, scope)
    return [
        FactoryRef(site=s, space=sp, factory=f, last_seen=t)
        for s, sp, f, t in qs.order_by("site", "space", "factory").values_list(
            "site", "space", "factory", "time_received"
        )
    ]


def machinetypes(*, since: int, scope: Scope) -> list[MachinetypeRef]:
    qs = _pointers("machinetype_status", since, scope)
    rows = qs.order_by("site", "space", "factory", "item").values_list(
        "site", "space", "factory", "item", "vo", "time_received"
    )
    return [MachinetypeRef(*row) for row in rows]


def shutdowns(*, since: int, until: int, scope: Scope, limit: int) -> list[Shutdown]:
    qs = MachineShutdown.objects.filter(
        scope_q("machinetype_status", scope), time__gte=since, time__lte=until
    ).order_by("-time", "-id")[:limit]
    cols = ("factory", "machine", "time", "message", "site", "space", "machinetype", "vo")
    return [Shutdown(*row) for row in qs.values_list(*cols)]
