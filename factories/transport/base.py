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


class Transport(Protocol):
    def send(self, messages: Sequence[Wire]) -> SendResult: ...

    def close(self) -> None: ...


class DeliveryError(RuntimeError):
    """Raised by a transport without a spool when a batch could not be delivered."""
