"""Small factory functions for messages in tests (no JSON fixtures)."""

from __future__ import annotations

import json
from typing import Any

from factories.messages import Message, normalise
from tests import samples


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
