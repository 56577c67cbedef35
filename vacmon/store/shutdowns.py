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


Outcome = tuple[str, str, str, str, str | None, str, int, str]


def outcome_of(m: Message, key: Key) -> Outcome:
    """(site, space, factory, machinetype, vo, machine, time, message) of the outcome that
    `key` (`key_of(m)`) names: a plain tuple, which the store writer turns into a row for
    each new outcome."""
    site, space, factory, machine, when = key
    text = m.fields["shutdown_message"]
    return (site, space, factory, m.machinetype or "", m.vo, machine, when, text)


def shutdown_of(m: Message) -> Shutdown | None:
    """The outcome a machinetype_status names, if it names one (see `key_of`)."""
    key = key_of(m)
    if key is None:
        return None
    site, space, factory, machinetype, vo, machine, when, message = outcome_of(m, key)
    return Shutdown(
        factory=factory,
        machine=machine,
        time=when,
        message=message,
        site=site,
        space=space,
        machinetype=machinetype,
        vo=vo,
    )


def distinct(messages: Iterable[Message]) -> list[Shutdown]:
    """Each outcome once, newest shutdown first."""
    seen: dict[Key, Shutdown] = {}
    for m in messages:
        found = shutdown_of(m)
        if found is not None:
            seen.setdefault(found.key, found)
    return sorted(seen.values(), key=lambda s: s.time, reverse=True)
