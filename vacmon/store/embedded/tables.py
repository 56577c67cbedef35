"""Which model stores which message type, and how a Message maps to a row."""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, models

from factories.messages import Message
from vacmon.models import FactoryStatus, MachineStatus, MachinetypeStatus

MODELS: dict[str, type[models.Model]] = {
    "factory_status": FactoryStatus,
    "machinetype_status": MachinetypeStatus,
    "machine_status": MachineStatus,
}

# What the latest-state table keeps of each sender's newest message besides its envelope.
LATEST_FIGURES = (
    "running_machines",
    "running_processors",
    "running_hs06",
    "max_machines",
    "max_processors",
    "max_hs06",
)


dumps = json.dumps

_ENVELOPE = ("site", "space", "factory", "time_sent", "time_received", "skewed", "trusted")
# Read even when a caller asks for a few fields: the envelope and the entity columns.
_KEPT = (*_ENVELOPE, "machinetype", "machine", "vo")


def model_for(message_type: str) -> type[models.Model]:
    try:
        return MODELS[message_type]
    except KeyError:
        raise ValueError(f"unknown message type {message_type!r}") from None


def columns(model: type[models.Model]) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column != "id"]


def row_maker(cols: list[str]) -> Callable[[Message], list[Any]]:
    """A function from Message to the row for `cols`, planned once per table: this runs
    for every stored message, so the per-column decisions are made up front."""
    head = [c for c in cols if c in _ENVELOPE]
    has_vo = "vo" in cols
    body = [c for c in cols if c not in _ENVELOPE and c not in ("extra", "vo")]
    order = [*head, "extra", *(["vo"] if has_vo else []), *body]

    envelope = operator.attrgetter(*head)
    after_extra = operator.attrgetter("vo") if has_vo else None

    def make(m: Message) -> list[Any]:
        extra = dumps(m.extra) if m.extra else "{}"
        values = map(m.fields.get, body)
        if after_extra is None:
            return [*envelope(m), extra, *values]
        return [*envelope(m), extra, after_extra(m), *values]

    make.columns = order  # type: ignore[attr-defined]
    return make


def read_rows(message_type: str, qs: Any, fields: Sequence[str] | None = None) -> list[Message]:
    """The rows of a queryset of `message_type` as Messages, fetched with the queryset's own
    SQL on a plain cursor: pages read thousands of rows, and Django's per-row model (or
    converter) machinery would cost several times the query. The plan is made once per
    table."""
    cols, make = _reader(message_type, None if fields is None else tuple(fields))
    sql, params = qs.values_list(*cols).query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [make(row) for row in cursor.fetchall()]


@functools.cache
def _reader(
    message_type: str, only: tuple[str, ...] | None
) -> tuple[list[str], Callable[[tuple[Any, ...]], Message]]:
    model = model_for(message_type)
    names = [
        f.name
        for f in model._meta.concrete_fields
        if f.name != "id" and (only is None or f.name in only or f.name in _KEPT)
    ]
    body = [(i, n) for i, n in enumerate(names) if n not in _ENVELOPE and n not in ("extra", "vo")]
    at = {n: i for i, n in enumerate(names)}
    site, space, factory, sent = at["site"], at["space"], at["factory"], at["time_sent"]
    received, skewed, trusted = at["time_received"], at["skewed"], at["trusted"]
    extra = at.get("extra")
    machinetype, machine, vo = at.get("machinetype"), at.get("machine"), at.get("vo")

    def make(row: tuple[Any, ...]) -> Message:
        return stored_message(
            message_type,
            row[site],
            row[space],
            row[factory],
            row[sent],
            row[received],
            {name: row[i] for i, name in body if row[i] is not None},
            skewed=row[skewed],
            trusted=row[trusted],
            machinetype=None if machinetype is None else row[machinetype],
            machine=None if machine is None else row[machine],
            vo=None if vo is None else row[vo],
            extra={} if extra is None else _json(row[extra]),
        )

    return names, make


def stored_message(
    message_type: str,
    site: str,
    space: str,
    factory: str,
    sent: int,
    received: int,
    figures: dict[str, Any],
    *,
    skewed: Any,
    trusted: Any,
    machinetype: str | None = None,
    machine: str | None = None,
    vo: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Message:
    """A Message from stored columns: the envelope is repeated in `fields`, as a message
    arriving carries it, and the flags are booleans (SQLite returns 0/1)."""
    envelope = {"site": site, "space": space, "factory": factory, "time_sent": sent}
    return Message(
        message_type=message_type,
        site=site,
        space=space,
        factory=factory,
        time_sent=sent,
        time_received=received,
        machinetype=machinetype,
        machine=machine,
        vo=vo,
        skewed=bool(skewed),
        trusted=bool(trusted),
        fields={"message_type": message_type, **figures, **envelope},
        extra=extra or {},
    )


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {} if value in (None, "{}") else json.loads(value)  # type: ignore[no-any-return]
