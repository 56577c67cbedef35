"""What every transport returns, and the interface the reporter sends through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

Wire = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Refused:
    """A message the receiver will never take (bad, too big): kept aside, not retried."""

    message: Wire
    reason: str
    detail: str = ""


@dataclass(slots=True)
class SendResult:
    delivered: int = 0  # handed to the network (UDP) or accepted by VacMon (HTTP)
    spooled: int = 0  # waiting on disk for the next attempt
    refused: list[Refused] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, other: SendResult) -> None:
        self.delivered += other.delivered
        self.spooled += other.spooled
        self.refused.extend(other.refused)
        self.errors.extend(other.errors)


def refusal(message: Wire, now: int) -> Refused | None:
    """Why VacMon would refuse `message` (the server's own parser, run here), or None.
    A UDP sender hears nothing back, so this is the only place such a message is noticed."""
    # Imported here: factories.messages imports nothing from transports, and keeping it so
    # lets either be used alone.
    from factories.messages import Rejected, normalise

    try:
        normalise(message, received=now)
    except Rejected as exc:
        return Refused(message, exc.reason, exc.detail)
    return None


class Transport(Protocol):
    def send(self, messages: Sequence[Wire]) -> SendResult: ...

    def close(self) -> None: ...


class DeliveryError(RuntimeError):
    """Raised by a transport without a spool when a batch could not be delivered."""
