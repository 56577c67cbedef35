"""Small factory functions for messages in tests (no JSON fixtures)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from factories.messages import Message
from factories.messages import normalise as _normalise
from factories.messages.names import NAME_FIELDS, is_safe_name
from tests import samples


def normalise(obj: dict[str, Any], *, received: int) -> Message:
    """The parser's Message for `obj`, except that names the parser now refuses are kept as
    given: the pages must still render rows stored before the name rule, or by another
    writer, so tests store such names on purpose."""
    unsafe = {
        n: obj[n]
        for n in NAME_FIELDS
        if isinstance(obj.get(n), str) and not is_safe_name(obj[n], n)
    }
    if not unsafe:
        return _normalise(obj, received=received)
    placeholders = {n: f"placeholder-{n}" for n in unsafe}
    message = _normalise({**obj, **placeholders}, received=received)
    names = {n: v for n, v in unsafe.items() if n in ("site", "space", "factory")}
    if "machinetype" in unsafe and message.machinetype is not None:
        names["machinetype"] = unsafe["machinetype"]
    if "machine" in unsafe and message.machine is not None:
        names["machine"] = unsafe["machine"]
    fields = {**message.fields, **{n: v for n, v in unsafe.items() if n in message.fields}}
    return dataclasses.replace(message, fields=fields, **names)


def factory_status(
    *,
    received: int,
    sent: int | None = None,
    factory: str = "f1.example.ac.uk",
    space: str = "vac01.example.ac.uk",
    site: str = "EXAMPLE-SITE",
    **fields: Any,
) -> Message:
    obj = json.loads(samples.VAC_FACTORY)
    obj.update(site=site, space=space, factory=factory, time_sent=sent or received, **fields)
    return normalise(obj, received=received)


def machinetype_status(
    *,
    received: int,
    sent: int | None = None,
    machinetype: str = "lhcb",
    factory: str = "f1.example.ac.uk",
    space: str = "vac01.example.ac.uk",
    site: str = "EXAMPLE-SITE",
    **fields: Any,
) -> Message:
    obj = json.loads(samples.VAC_MACHINETYPE)
    obj["fqan"] = f"/{machinetype}/Role=NULL/Capability=NULL"
    obj.update(
        site=site,
        space=space,
        factory=factory,
        machinetype=machinetype,
        time_sent=sent or received,
        **fields,
    )
    return normalise(obj, received=received)


def machine_status(
    *,
    received: int,
    machine: str = "f1-01.example.ac.uk",
    machinetype: str = "lhcb",
    factory: str = "f1.example.ac.uk",
    space: str = "vac01.example.ac.uk",
    site: str = "EXAMPLE-SITE",
    **fields: Any,
) -> Message:
    obj = json.loads(samples.VAC_MACHINE_FINISHED)
    obj.update(
        site=site,
        space=space,
        factory=factory,
        machine=machine,
        machinetype=machinetype,
        time_sent=received,
        **fields,
    )
    return normalise(obj, received=received)
