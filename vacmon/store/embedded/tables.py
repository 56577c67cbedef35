"""Which model stores which message type, and how a Message maps to a row."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import models

from factories.messages import Message
from vacmon.models import FactoryStatus, MachineStatus, MachinetypeStatus

MODELS: dict[str, type[models.Model]] = {
    "factory_status": FactoryStatus,
    "machinetype_status": MachinetypeStatus,
    "machine_status": MachineStatus,
}

# The columns that identify one sender of each type (its "entity").
ENTITY: dict[str, tuple[str, ...]] = {
    "factory_status": ("site", "space", "factory"),
    "machinetype_status": ("site", "space", "factory", "machinetype"),
    "machine_status": ("site", "space", "factory", "machine"),
}

dumps = json.dumps

_ENVELOPE = ("site", "space", "factory", "time_sent", "time_received", "skewed", "trusted")


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

    def make(m: Message) -> list[Any]:
        get = m.fields.get
        row = [getattr(m, c) for c in head]
        row.append(dumps(m.extra) if m.extra else "{}")
        if has_vo:
            row.append(m.vo)
        row.extend([get(c) for c in body])
        return row

    make.columns = order  # type: ignore[attr-defined]
    return make


def row_to_message(message_type: str, row: models.Model) -> Message:
    model = type(row)
    fields: dict[str, Any] = {"message_type": message_type}
    for col in columns(model):
        if col not in _ENVELOPE and col not in ("extra", "vo"):
            value = getattr(row, col)
            if value is not None:
                fields[col] = value
    for col in ("site", "space", "factory", "time_sent"):
        fields[col] = getattr(row, col)
    return Message(
        message_type=message_type,
        site=row.site,  # type: ignore[attr-defined]
        space=row.space,  # type: ignore[attr-defined]
        factory=row.factory,  # type: ignore[attr-defined]
        time_sent=row.time_sent,  # type: ignore[attr-defined]
        time_received=row.time_received,  # type: ignore[attr-defined]
        machinetype=getattr(row, "machinetype", None),
        machine=getattr(row, "machine", None),
        vo=getattr(row, "vo", None),
        skewed=row.skewed,  # type: ignore[attr-defined]
        trusted=row.trusted,  # type: ignore[attr-defined]
        fields=fields,
        extra=row.extra,  # type: ignore[attr-defined]
    )
