"""Current running and maximum capacity per site and per space, from the latest
factory_status of each factory that is not stale."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings

from factories.messages import Message
from vacmon.store import Scope, get_store

SUMMED = (
    "running_processors",
    "running_machines",
    "running_hs06",
    "max_processors",
    "max_machines",
    "max_hs06",
)


@dataclass
class Capacity:
    name: str
    factories: int = 0
    stale_factories: int = 0
    last_seen: int = 0
    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SUMMED, 0.0))
    children: list[str] = field(default_factory=list)


def latest_factories(
    scope: Scope = Scope(), *, window: int = 86400, now: int | None = None
) -> list[Message]:
    now = int(time.time()) if now is None else now
    return get_store().latest("factory_status", since=now - window, scope=scope)


def is_stale(message: Message, now: int) -> bool:
    return now - message.time_received > settings.VACMON_STALE_SECONDS


def summarise(messages: list[Message], by: str, now: int) -> list[Capacity]:
    """Group the latest factory messages by `by` ("site" or "space"); stale factories are
    counted but contribute nothing to the totals."""
    groups: dict[str, Capacity] = {}
    child_attr = "space" if by == "site" else "factory"
    for m in messages:
        cap = groups.setdefault(getattr(m, by), Capacity(getattr(m, by)))
        cap.factories += 1
        cap.last_seen = max(cap.last_seen, m.time_received)
        child = getattr(m, child_attr)
        if child not in cap.children:
            cap.children.append(child)
        if is_stale(m, now):
            cap.stale_factories += 1
            continue
        for name in SUMMED:
            value = m.get(name)
            if value is not None:
                cap.totals[name] += value
    return sorted(groups.values(), key=lambda c: c.name)
