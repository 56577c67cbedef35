"""Which model stores which message type, and how a Message maps to a row."""

from __future__ import annotations

import json
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

_ENVELOPE = ("site", "space", "factory", "time_sent", "time_received", "skewed", "trusted")


def model_for(message_type: str) -> type[models.Model]:
    try:
        return MODELS[message_type]
    except KeyError:
        raise ValueError(f"unknown message type {message_type!r}") from None


def columns(model: type[models.Model]) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column != "id"]


def row_values(message: Message, cols: list[str]) -> list[Any]:
    values: list[Any] = []
    fields = message.fields
    for col in cols:
        if col in _ENVELOPE:
            values.append(getattr(message, col))
        elif col == "extra":
            values.append(json.dumps(message.extra))
        elif col == "vo":
            values.append(message.vo)
        else:
            values.append(fields.get(col))
    return values


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
