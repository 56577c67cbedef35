"""The fast path for the datagrams real senders send: decoded and checked in C by msgspec.

A datagram holding one plain status message (known keys only, legacy ones included, no
signature) is decoded straight into a msgspec Struct built from the field tables of
factories.messages.schema, with each field's type and bounds (limits.HIGHEST) checked as it
is read; that is about a third of decoding to a dict and checking every key in Python
(bench/ingest_profile.py). The result is a dict of the message's fields under their modern
names, marked with the key CHECKED, which `normalise` finishes without checking them again.

It only ever says yes: anything it does not take (a bad value, an unknown key, a signed
message, input that is not JSON) is left to the full path, which gives the reason. So the
refusal reasons, their details and every legacy rule stay defined in one place, and a
message it takes is the Message the full path makes of it (tests/factories/test_fast.py
compares both on a fuzzed corpus). msgspec is optional, as orjson is: without it
every datagram takes the full path.
"""

from __future__ import annotations

from typing import Annotated, Any

from factories.messages.limits import HIGHEST
from factories.messages.schema import ALIASES, FIELDS, IGNORED_LEGACY, Kind

try:
    import msgspec
except ImportError:  # pragma: no cover - exercised in a plain venv
    msgspec = None  # type: ignore[assignment]

MAX_STRING = 1024
# Times are checked against the receiver's clock once the message is built; here only that
# they are integers no sender could exceed (the full path reports anything larger).
_TIME_HIGHEST = 2**62


# The key that marks the fields of a message the fast path took (modern names, right types,
# in bounds), holding its message_type. No JSON object can hold it: its keys are strings.
# The rest of the dict is also what the UDP trust gate reads of an unsigned message (its
# site and space), so it is handed on as it is, not copied. None, not a sentinel object:
# a dict holding only atomic keys and values stays out of the garbage collector's tracking,
# and a listener holds a few hundred thousand of them (RecentKeys, batches); tracked, they
# tripled the parse time in bench/ingest_profile.py.
CHECKED: Any = None


def _field_type(name: str, kind: Kind) -> Any:
    unset = msgspec.UnsetType
    if kind is Kind.STR:
        return Annotated[str, msgspec.Meta(max_length=MAX_STRING)] | None | unset
    high = HIGHEST[name] if kind in (Kind.INT, Kind.FLOAT) else _TIME_HIGHEST
    whole = Annotated[int, msgspec.Meta(ge=0, le=int(high))]
    # An INT or TIME field may arrive as 2.0 (spec 1.8); `normalize._finish` makes it an int.
    real = Annotated[float, msgspec.Meta(ge=0, le=float(high))]
    if kind is Kind.FLOAT:
        return real | None | unset  # an int is read as a float, as the full path does
    return whole | real | None | unset


def _scalar() -> Any:
    # Any JSON scalar that the full path's decoder reads as the same value: it turns
    # integers beyond 64 bits into floats, so those are left to it.
    whole = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
    return whole | float | str | bool | None | msgspec.UnsetType


def _struct(message_type: str) -> Any:
    table = FIELDS[message_type]
    fields: list[tuple[str, Any, Any]] = [
        (name, _field_type(name, kind), msgspec.UNSET)
        for name, kind in table.items()
        if name != "message_type"
    ]
    # A legacy key is checked as the field it fills, and only when that field is absent
    # (`normalize._finish`); the ignored keys are read only to be dropped, or to send a signed
    # message down the full path.
    extra = [*(a for a in ALIASES[message_type] if a not in table), *sorted(IGNORED_LEGACY)]
    fields += [(name, _scalar(), msgspec.UNSET) for name in extra]
    return msgspec.defstruct(
        message_type,
        fields,
        forbid_unknown_fields=True,
        tag_field="message_type",
        tag=message_type,
    )


def _whole_fields(message_type: str) -> tuple[str, ...]:
    return tuple(n for n, k in FIELDS[message_type].items() if k in (Kind.INT, Kind.TIME))


if msgspec is not None:
    _DECODER: Any = msgspec.json.Decoder(
        _struct("factory_status") | _struct("machinetype_status") | _struct("machine_status")
    )
    _to_builtins = msgspec.to_builtins
    # Invalid UTF-8 inside a string raises UnicodeDecodeError, a ValueError.
    _DECODE_ERRORS: tuple[type[Exception], ...] = (msgspec.DecodeError, ValueError)
else:  # pragma: no cover
    _DECODER = None
    _DECODE_ERRORS = ()
WHOLE = {message_type: _whole_fields(message_type) for message_type in FIELDS}
_SIGNATURE_KEYS = ("hmac_sha256", "key_id")


def decode(data: bytes) -> dict[str, Any] | None:
    """The message in `data` as the dict of its keys as sent, when the fast path can read
    it; None sends the datagram down the full path. Legacy keys are still to be folded
    (`normalize._finish`), so this is what a check of the raw message may read."""
    if _DECODER is None:
        return None
    try:
        struct = _DECODER.decode(data)
    except _DECODE_ERRORS:
        return None
    found: dict[str, Any] = _to_builtins(struct)
    if _SIGNATURE_KEYS[0] in found or _SIGNATURE_KEYS[1] in found:
        return None  # its signature is checked over the message as sent
    return found
