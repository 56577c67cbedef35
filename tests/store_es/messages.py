"""Messages for the Elasticsearch tests, made from what real senders emit."""

from __future__ import annotations

import dataclasses
from typing import Any

from factories.messages import Message, parse_datagram
from tests import samples

RECEIVED = 1543000003


def sample(text: str = samples.VAC_FACTORY, *, received: int = RECEIVED, **changes: Any) -> Message:
    """A real sender's message with envelope fields (time_sent, factory, ...) changed in both
    the Message and its fields, as the normaliser would have produced them."""
    message = parse_datagram(text.encode(), received=received)
    if not changes:
        return message
    fields = {**message.fields, **changes}
    own = {k: v for k, v in changes.items() if k in Message.__dataclass_fields__}
    return dataclasses.replace(message, fields=fields, **own)


def factories(count: int, **changes: Any) -> list[Message]:
    """`count` distinct factory_status messages, one second apart."""
    return [sample(time_sent=1543000000 + i, **changes) for i in range(count)]
