"""What the forwarder needs from a message transport (STOMP or ARGO AMS)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable


class TransportError(RuntimeError):
    """The message was not acknowledged; it must be sent again later."""


class Transport(Protocol):
    def send(self, message_id: str, body: str) -> None:
        """Deliver `body` with `message_id` as its empa-id; return only once acknowledged."""

    def close(self) -> None: ...


@runtime_checkable
class PipelinedTransport(Transport, Protocol):
    def send_all(self, messages: Sequence[tuple[str, str]]) -> Iterator[str | None]:
        """Deliver each (message_id, body) without waiting between them, then wait for
        each acknowledgement; yield, message by message in order, as soon as it is known,
        None when it was acknowledged, else why not."""
