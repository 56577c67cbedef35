"""The normalised status message shared by the receiver, the stores and the factory library."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


# Not frozen: a frozen dataclass's __init__ costs about 2 us more per message, and the
# receiver builds tens of thousands a second. Treat instances as read-only all the same.
@dataclass(slots=True)
class Message:
    """One accepted status message in its modern form.

    `fields` holds every known field under its modern name (legacy aliases folded in);
    `extra` holds keys this version does not know, kept as raw JSON.
    """

    message_type: str
    site: str
    space: str
    factory: str
    time_sent: int
    time_received: int
    machinetype: str | None = None
    machine: str | None = None
    vo: str | None = None
    skewed: bool = False
    trusted: bool = False
    fields: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, str, str, int]:
        """The natural key: two messages with the same key are one message sent twice."""
        item = self.machine if self.machine is not None else (self.machinetype or "")
        return (self.message_type, self.site, self.space, self.factory, item, self.time_sent)

    def get(self, name: str) -> Any:
        return self.fields.get(name)
