"""Machine outcomes as machinetype_status reports them. Pure: no database.

Vac pushes machine_status at finish time without a shutdown message (spec 1.8 quirk 1); the
outcome arrives later, in every machinetype_status of that machinetype, as the last
`shutdown_machine`/`shutdown_time`/`shutdown_message` until another machine finishes. So one
outcome is repeated by hundreds of messages; stores keep it once (see `distinct`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from factories.messages import Message

FIELDS = ("shutdown_machine", "shutdown_time", "shutdown_message")
Key = tuple[str, str, str, str, int]  # site, space, factory, machine, time


@dataclass(frozen=True)
class Shutdown:
    factory: str
    machine: str
    time: int
    message: str
    site: str = ""
    space: str = ""
    machinetype: str = ""
    vo: str | None = None

    @property
    def key(self) -> Key:
        return (self.site, self.space, self.factory, self.machine, self.time)


def key_of(m: Message) -> Key | None:
    """`Shutdown.key` of the outcome a machinetype_status names; None unless machine, time
    and text are all given (0 and "" mean "none yet" on the wire). Cheap: the store writer
    asks it of every message."""
    get = m.fields.get
    machine, when = get("shutdown_machine"), get("shutdown_time")
    if not (machine and when and get("shutdown_message")):
        return None
    return (m.site, m.space, m.factory, machine, int(when))


def shutdown_of(m: Message) -> Shutdown | None:
    """The outcome a machinetype_status names, if it names one (see `key_of`)."""
    key = key_of(m)
    if key is None:
        return None
    _, _, _, machine, when = key
    return Shutdown(
        factory=m.factory,
        machine=machine,
        time=when,
        message=m.fields["shutdown_message"],
        site=m.site,
        space=m.space,
        machinetype=m.machinetype or "",
        vo=m.vo,
    )


def distinct(messages: Iterable[Message]) -> list[Shutdown]:
    """Each outcome once, newest shutdown first."""
    seen: dict[Key, Shutdown] = {}
    for m in messages:
        found = shutdown_of(m)
        if found is not None:
            seen.setdefault(found.key, found)
    return sorted(seen.values(), key=lambda s: s.time, reverse=True)
