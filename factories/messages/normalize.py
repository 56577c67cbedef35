"""Parse, validate and normalise one status message (spec vac-protocol.md 1.8, 3.2, 9).

Everything here is pure so the receiver, the HTTP ingest and the factory library share one
definition of a valid message. Input is untrusted: every failure is a `Rejected` with a short
machine-readable reason (used as a metric label) and a human-readable detail.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from factories.messages.fast import CHECKED, WHOLE
from factories.messages.fast import decode as fast_decode
from factories.messages.limits import (
    FAST_HIGHEST,
    OutOfBounds,
    check_extra,
    check_number,
    check_times,
)
from factories.messages.message import Message
from factories.messages.names import MAX_NAME, NAME_FIELDS, is_safe_name, rule_for
from factories.messages.schema import (
    ALIASES,
    FIELDS,
    IGNORED_LEGACY,
    MACHINE_STATUS,
    REQUIRED,
    Kind,
)

_orjson_loads: Callable[[str | bytes], Any] | None
try:  # orjson is several times faster; the library works without it.
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - exercised in a plain venv
    _orjson_loads = None

# The largest UDP payload over IPv4; anything bigger cannot have been one datagram.
MAX_DATAGRAM = 65507
MAX_STRING = 1024
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
    "bad_name",
    "out_of_range",
    "too_deep",
    "too_large",
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


def decode_json(text: str | bytes) -> Any:
    """Decode JSON, refusing NaN/Infinity and the NUL character (PostgreSQL text/jsonb
    cannot hold it). Uses orjson when installed (the receiver's hot path), else json."""
    if isinstance(text, bytes):
        if b"\\u0000" in text or b"\x00" in text:
            raise Rejected("bad_value", "the NUL character is not allowed")
    elif "\\u0000" in text or "\x00" in text:
        raise Rejected("bad_value", "the NUL character is not allowed")
    try:
        if _orjson_loads is not None:
            return _orjson_loads(text)
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise Rejected("not_json", f"not valid JSON ({exc})") from None


def parse_datagram(data: bytes, *, received: int, skew_seconds: int = 300) -> Message:
    """Turn one UDP payload into a normalised Message, or raise Rejected."""
    return normalise(decode_datagram(data), received=received, skew_seconds=skew_seconds)


def decode_datagram(data: bytes, fast: bool = True) -> Any:
    """The JSON value of one UDP payload (not yet validated as a message), or, when the
    fast path reads it (factories.messages.fast), the dict of its fields, already checked,
    that `normalise` finishes. `fast=False` always takes the full path."""
    if len(data) > MAX_DATAGRAM:
        raise Rejected("oversize", f"{len(data)} bytes is more than {MAX_DATAGRAM}")
    if fast and b"\\u0000" not in data and b"\x00" not in data:
        found = fast_decode(data)
        if found is not None:
            checked = _finish(found)
            if checked is not None:
                return checked
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected("not_utf8", f"not UTF-8 at byte {exc.start}") from None
    return decode_json(data)


def normalise(
    obj: Any, *, received: int, skew_seconds: int = 300, trusted: bool = False
) -> Message:
    """Validate a decoded JSON value and return the modern, typed form of the message."""
    if type(obj) is dict and CHECKED in obj:
        checked: dict[str, Any] = obj
        return _build(checked.pop(CHECKED), checked, {}, received, skew_seconds, trusted)
    if not isinstance(obj, Mapping):
        raise Rejected("not_object", f"a JSON {type(obj).__name__} is not a message object")
    message_type = obj.get("message_type")
    if message_type is None:
        raise Rejected("missing_message_type", "no message_type", "message_type")
    if not isinstance(message_type, str) or message_type not in FIELDS:
        raise Rejected("unknown_message_type", f"unknown message_type {message_type!r:.80}")
    plan = _PLANS[message_type]
    kinds = FIELDS[message_type]
    highest = FAST_HIGHEST[message_type]
    aliases = ALIASES[message_type]
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    str_, float_ = Kind.STR, Kind.FLOAT
    for key, value in obj.items():
        kind = kinds.get(key)
        if kind is not None:
            # Inline fast paths for values that are already right (nearly all of them);
            # everything else, including every error, goes through the full coercer.
            vtype = type(value)
            if vtype is str and kind is str_ and len(value) <= MAX_STRING:
                fields[key] = value
            elif vtype is int and kind is not str_ and 0 <= value <= highest[key]:
                fields[key] = float(value) if kind is float_ else value
            elif vtype is float and kind is float_ and 0.0 <= value <= highest[key]:
                fields[key] = value
            else:
                fields[key] = plan[key](key, value)
        elif key in aliases:
            modern = aliases[key]
            if modern not in obj:
                fields[modern] = plan[modern](key, value)
        elif key not in IGNORED_LEGACY:
            extra[key] = value
    return _build(message_type, fields, extra, received, skew_seconds, trusted)


def _finish(found: dict[Any, Any]) -> dict[Any, Any] | None:
    """Fold the legacy keys of what the fast path read as `normalise` does, and make its
    whole numbers ints; None when only the full path can say (a bad legacy value, two
    legacy keys for one field that disagree, a fractional count)."""
    message_type: str = found.pop("message_type")
    found.pop("method", None)
    aliases = ALIASES[message_type]
    folded: dict[str, Any] = {}
    for legacy in aliases:
        if legacy not in found:
            continue
        value = found.pop(legacy)
        modern = aliases[legacy]
        if modern in found:
            continue  # the modern key wins, whatever the legacy one holds
        try:
            value = _PLANS[message_type][modern](legacy, value)
        except Rejected:
            return None
        # Two legacy keys for one field: the full path keeps the later one as sent, an
        # order this path does not see; when they agree it does not matter.
        if modern in folded and folded[modern] != value:
            return None
        folded[modern] = value
    found.update(folded)
    for name in WHOLE[message_type]:
        value = found.get(name)
        if type(value) is float:
            if not value.is_integer():
                return None
            found[name] = int(value)
    found["message_type"] = message_type
    found[CHECKED] = message_type
    return found


def _build(
    message_type: str,
    fields: dict[str, Any],
    extra: dict[str, Any],
    received: int,
    skew_seconds: int,
    trusted: bool,
) -> Message:
    for name in REQUIRED[message_type]:
        if fields.get(name) in (None, ""):
            raise Rejected("missing_field", f"{name} is required", name)
    space = fields["space"]
    if not fields.get("site"):
        # Vac's own fallback: the space name minus its first DNS label (spec 1.2).
        fields["site"] = space.split(".", 1)[1] if "." in space else space
    _check_names(fields)
    try:
        check_times(message_type, fields, received)
        if extra:
            check_extra(extra)
    except OutOfBounds as exc:
        raise Rejected(exc.reason, exc.detail, exc.field) from None
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
        trusted=trusted,
        fields=fields,
        extra=extra,
    )


def _check_names(fields: dict[str, Any]) -> None:
    for name in NAME_FIELDS:
        value = fields.get(name)
        if value is None:
            continue
        if len(value) > MAX_NAME:
            raise Rejected("bad_value", f"{name} is longer than {MAX_NAME} characters", name)
        if not is_safe_name(value, name):
            raise Rejected("bad_name", f"{name} may hold only {rule_for(name)}", name)


def _vo_from_fqan(fields: dict[str, Any]) -> str | None:
    fqan = fields["fqan"]
    if not fqan:
        # vacmond died on these (spec 3.2 step 9); we refuse them with a reason instead.
        raise Rejected("bad_fqan", "fqan is empty or null", "fqan")
    if not fqan.startswith("/"):
        return None
    vo = fqan.split("/")[1]
    return vo or None


def _as_str(name: str, value: Any) -> Any:
    if type(value) is str:
        if len(value) > MAX_STRING:
            raise Rejected("bad_value", f"{name} is longer than {MAX_STRING} characters", name)
        return value
    if value is None:
        return None
    raise Rejected("wrong_type", f"{name} must be a string", name)


def _as_float(name: str, value: Any) -> Any:
    kind = type(value)
    if kind is float or kind is int:
        return float(value)
    if value is None:
        return None
    raise Rejected("wrong_type", f"{name} must be a number", name)


def _as_int(name: str, value: Any) -> Any:
    kind = type(value)
    if kind is float:
        # Counters arrive as 2.0 from Vac (spec 1.8); a fractional count is not a count.
        if not value.is_integer():
            raise Rejected("wrong_type", f"{name} must be a whole number", name)
        value = int(value)
    elif kind is not int:
        if value is None:
            return None
        raise Rejected("wrong_type", f"{name} must be a number", name)
    if -_INT_LIMIT <= value <= _INT_LIMIT:
        return value
    raise Rejected("out_of_range", f"{name} is beyond 64 bits", name)


def _as_time(name: str, value: Any) -> Any:
    value = _as_int(name, value)
    if value is not None and value < 0:
        raise Rejected("out_of_range", f"{name} is before 1970", name)
    return value


def _bounded(coerce: Callable[[str, Any], Any], modern: str) -> Callable[[str, Any], Any]:
    """`coerce`, then the physical bounds of field `modern` (factories.messages.limits)."""

    def coerce_bounded(name: str, value: Any) -> Any:
        found = coerce(name, value)
        if found is not None:
            try:
                check_number(modern, found, sent_as=name)
            except OutOfBounds as exc:
                raise Rejected(exc.reason, exc.detail, exc.field) from None
        return found

    return coerce_bounded


_COERCERS: dict[Kind, Callable[[str, Any], Any]] = {
    Kind.STR: _as_str,
    Kind.INT: _as_int,
    Kind.FLOAT: _as_float,
    Kind.TIME: _as_time,
}
# field name -> coercer, per message type: one dict lookup per key on the hot path.
_PLANS: dict[str, dict[str, Callable[[str, Any], Any]]] = {
    message_type: {
        name: _bounded(_COERCERS[kind], name) if kind in (Kind.INT, Kind.FLOAT) else _COERCERS[kind]
        for name, kind in table.items()
    }
    for message_type, table in FIELDS.items()
}
