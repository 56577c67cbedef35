"""The status message model: one definition for senders and receivers."""

from __future__ import annotations

from factories.messages.message import Message
from factories.messages.normalize import (
    MAX_DATAGRAM,
    REASONS,
    Rejected,
    decode_datagram,
    decode_json,
    normalise,
    parse_datagram,
)
from factories.messages.schema import (
    FACTORY_STATUS,
    MACHINE_STATUS,
    MACHINETYPE_STATUS,
    MESSAGE_TYPES,
)

__all__ = [
    "FACTORY_STATUS",
    "MACHINETYPE_STATUS",
    "MACHINE_STATUS",
    "MAX_DATAGRAM",
    "MESSAGE_TYPES",
    "REASONS",
    "Message",
    "Rejected",
    "decode_datagram",
    "decode_json",
    "normalise",
    "parse_datagram",
]
