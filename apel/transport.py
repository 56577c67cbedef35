"""What the forwarder needs from a message transport (STOMP or ARGO AMS)."""

from __future__ import annotations

from typing import Protocol


class TransportError(RuntimeError):
    """The message was not acknowledged; it must be sent again later."""


class Transport(Protocol):
    def send(self, message_id: str, body: str) -> None:
        """Deliver `body` with `message_id` as its empa-id; return only once acknowledged."""

    def close(self) -> None: ...
