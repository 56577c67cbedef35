"""Parse, validate and normalise one status message (spec vac-protocol.md 1.8, 3.2, 9).

Everything here is pure so the receiver, the HTTP ingest and the factory library share one
definition of a valid message. Input is untrusted: every failure is a `Rejected` with a short
machine-readable reason (used as a metric label) and a human-readable detail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from factories.messages.message import Message
from factories.messages.schema import (
    ALIASES,
    FIELDS,
    IGNORED_LEGACY,
    MACHINE_STATUS,
    MACHINETYPE_STATUS,
    REQUIRED,
    Kind,
)

# The largest UDP payload over IPv4; anything bigger cannot have been one datagram.
MAX_DATAGRAM = 65507
MAX_STRING = 1024
MAX_NAME = 255
_INT_LIMIT = 2**63 - 1

REASONS = (
    "oversize",
    "not_utf8",
    "not_json",
    "not_object",
    "missing_message_type",
    "unknown_message_type",
    "missing_field",
    "wrong_type",
    "bad_value",
    "bad_fqan",
)


class Rejected(ValueError):
    """A message that is not stored; `reason` is one of REASONS."""

    def __init__(self, reason: str, detail: str, field: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.field = field


def _reject_constant(name: str) -> float:
    # json.loads accepts NaN and Infinity by default; no sender emits them and no store
    # can index them.
    raise ValueError(f"non-finite number {name}")


def decode_json(text: str) -> Any:
    """json.loads that refuses NaN/Infinity and the NUL character (PostgreSQL text/jsonb
    cannot hold it)."""
    if "\\u0000" in text or "\x00" in text:
        raise Rejected("bad_value", "the NUL character is not allowed")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise Rejected("not_json", f"not valid JSON ({exc})") from None


def parse_datagram(data: bytes, *, received: int, skew_seconds: int = 300) -> Message:
    """Turn one UDP payload into a normalised Message, or raise Rejected."""
    if len(data) > MAX_DATAGRAM:
        raise Rejected("oversize", f"{len(data)} bytes is more than {MAX_DATAGRAM}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected("not_utf8", f"not UTF-8 at byte {exc.start}") from None
    return normalise(decode_json(text), received=received, skew_seconds=skew_seconds)


def normalise(obj: Any, *, received: int, skew_seconds: int = 300) -> Message:
    """Validate a decoded JSON value and return the modern, typed form of the message."""
    if not isinstance(obj, Mapping):
        raise Rejected("not_object", f"a JSON {type(obj).__name__} is not a message object")
    message_type = obj.get("message_type")
    if message_type is None:
        raise Rejected("missing_message_type", "no message_type", "message_type")
    if not isinstance(message_type, str) or message_type not in FIELDS:
        raise Rejected("unknown_message_type", f"unknown message_type {message_type!r:.80}")
    known = FIELDS[message_type]
    aliases = ALIASES[message_type]
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in obj.items():
        if key in known:
            fields[key] = _coerce(key, known[key], value)
        elif key not in aliases and key not in IGNORED_LEGACY:
            extra[key] = value
    for legacy, modern in aliases.items():
        if modern not in obj and legacy in obj:
            fields[modern] = _coerce(legacy, known[modern], obj[legacy])
    return _build(message_type, fields, extra, received, skew_seconds)


def _build(
    message_type: str,
    fields: dict[str, Any],
    extra: dict[str, Any],
    received: int,
    skew_seconds: int,
) -> Message:
    for name in REQUIRED[message_type]:
        if fields.get(name) in (None, ""):
            raise Rejected("missing_field", f"{name} is required", name)
    space = fields["space"]
    if not fields.get("site"):
        # Vac's own fallback: the space name minus its first DNS label (spec 1.2).
        fields["site"] = space.split(".", 1)[1] if "." in space else space
    for name in ("site", "space", "factory", "machinetype", "machine"):
        value = fields.get(name)
        if value is not None and len(value) > MAX_NAME:
            raise Rejected("bad_value", f"{name} is longer than {MAX_NAME} characters", name)
    vo = _vo_from_fqan(fields) if "fqan" in fields else None
    time_sent = fields["time_sent"]
    return Message(
        message_type=message_type,
        site=fields["site"],
        space=space,
        factory=fields["factory"],
        machinetype=fields.get("machinetype"),
        machine=fields.get("machine") if message_type == MACHINE_STATUS else None,
        time_sent=time_sent,
        time_received=received,
        vo=vo,
        skewed=abs(received - time_sent) > skew_seconds,
        fields=fields,
        extra=extra,
    )


def _vo_from_fqan(fields: dict[str, Any]) -> str | None:
    fqan = fields["fqan"]
    if not fqan:
        # vacmond died on these (spec 3.2 step 9); we refuse them with a reason instead.
        raise Rejected("bad_fqan", "fqan is empty or null", "fqan")
    if not fqan.startswith("/"):
        return None
    vo = fqan.split("/")[1]
    return vo or None


def _coerce(name: str, kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind is Kind.STR:
        if not isinstance(value, str):
            raise Rejected("wrong_type", f"{name} must be a string", name)
        if len(value) > MAX_STRING:
            raise Rejected("bad_value", f"{name} is longer than {MAX_STRING} characters", name)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected("wrong_type", f"{name} must be a number", name)
    if kind is Kind.FLOAT:
        return float(value)
    if isinstance(value, float):
        # Counters arrive as 2.0 from Vac (spec 1.8); a fractional count is not a count.
        if not value.is_integer():
            raise Rejected("wrong_type", f"{name} must be a whole number", name)
        value = int(value)
    if abs(value) > _INT_LIMIT or (kind is Kind.TIME and value < 0):
        raise Rejected("bad_value", f"{name} is out of range", name)
    return value


__all__ = [
    "MACHINETYPE_STATUS",
    "MAX_DATAGRAM",
    "REASONS",
    "Rejected",
    "decode_json",
    "normalise",
    "parse_datagram",
]
