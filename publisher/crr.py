"""Build CRR documents for one space or for a whole site.

A space (a Vac or Vcycle pool) is one CRR computing resource whose identifier, access
point and endpoint are the space name (spec crr-etf-sam 1.7). The per-space document
serves `/crr/<site>/<space>/crr.json`; the site aggregate, with one resource per
published space, serves `/crr/<site>/crr.json`. Both shapes are valid CRR.
"""

from __future__ import annotations

from collections.abc import Sequence

from publisher.derive import build_resource
from publisher.inputs import DEFAULT_WINDOW_SECONDS, SpaceInputs
from publisher.jsontypes import JsonObject
from publisher.render import CrrFormat, render


def build_space_document(
    inputs: SpaceInputs,
    *,
    now: int,
    fmt: CrrFormat = CrrFormat.CRR_1_5,
    window_seconds: int = DEFAULT_WINDOW_SECONDS,
) -> JsonObject | None:
    """The document of one space, or None when none of its factories was heard within
    `window_seconds` before `now` (there is nothing current to publish).

    The space's `publish` flag is not consulted here: the caller decides whether to
    serve a space that is switched off.
    """
    resource = build_resource(inputs, now=now, window_seconds=window_seconds)
    return None if resource is None else render([resource], fmt)


def build_site_document(
    spaces: Sequence[SpaceInputs],
    *,
    now: int,
    fmt: CrrFormat = CrrFormat.CRR_1_5,
    window_seconds: int = DEFAULT_WINDOW_SECONDS,
) -> JsonObject:
    """One document with a resource for every space whose `publish` flag is set and
    that was heard in the window (possibly none: `{"computingresources": {}}`).

    Raises ValueError if two of `spaces` have the same space name.
    """
    names = [inputs.space for inputs in spaces]
    if len(set(names)) != len(names):
        raise ValueError(f"a space is listed twice: {sorted(names)}")
    resources = []
    for inputs in spaces:
        if not inputs.settings.publish:
            continue
        resource = build_resource(inputs, now=now, window_seconds=window_seconds)
        if resource is not None:
            resources.append(resource)
    return render(resources, fmt)
