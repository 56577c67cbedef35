"""Optional HMAC-SHA256 signing of status messages with a per-site key.

The signature travels in a new top-level key, `hmac_sha256`, which old receivers keep as an
unknown field and otherwise ignore (spec vac-protocol.md 9.1). It is the hex HMAC-SHA256 of
the canonical JSON of the message without that key:

    json.dumps(obj, sort_keys=True, separators=(",", ":"))

`key_id`, when given, is put into the message before signing, so it is covered by the
signature and tells the receiver which key to check with. The receiver must verify the
decoded JSON object as received, before any normalisation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

SIGNATURE_KEY = "hmac_sha256"
KEY_ID_KEY = "key_id"

KeyLookup = Callable[[str | None], bytes | None]


def canonical_json(message: Mapping[str, Any]) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, ASCII escapes, no signature."""
    unsigned = {k: v for k, v in message.items() if k != SIGNATURE_KEY}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode("ascii")


def signature(message: Mapping[str, Any], key: bytes) -> str:
    """Hex HMAC-SHA256 of the canonical JSON of `message` (any old signature ignored)."""
    return hmac.new(key, canonical_json(message), hashlib.sha256).hexdigest()


def sign(message: Mapping[str, Any], key: bytes, key_id: str | None = None) -> dict[str, Any]:
    """A signed copy of `message`: with `key_id` (if given) and `hmac_sha256` added."""
    signed = {k: v for k, v in message.items() if k != SIGNATURE_KEY}
    if key_id is not None:
        signed[KEY_ID_KEY] = key_id
    signed[SIGNATURE_KEY] = signature(signed, key)
    return signed


def is_signed(message: Mapping[str, Any]) -> bool:
    return isinstance(message.get(SIGNATURE_KEY), str)


def key_id(message: Mapping[str, Any]) -> str | None:
    """The sender's key id, or None (also when it is not a string)."""
    value = message.get(KEY_ID_KEY)
    return value if isinstance(value, str) else None


def verify(message: Mapping[str, Any], key: bytes) -> bool:
    """True iff `message` carries a valid `hmac_sha256` for `key` (constant-time compare)."""
    claimed = message.get(SIGNATURE_KEY)
    if not isinstance(claimed, str):
        return False
    try:
        expected = signature(message, key)
    except (TypeError, ValueError):
        # Not JSON-serialisable into ASCII canonical form: it cannot have been signed by us.
        return False
    try:
        return hmac.compare_digest(expected, claimed.lower())
    except TypeError:
        # compare_digest refuses non-ASCII strings; such a claim is no hex digest of ours.
        return False


def verify_with(message: Mapping[str, Any], keys: Mapping[str | None, bytes] | KeyLookup) -> bool:
    """Verify with the key the message names: `keys` maps key_id (None if the message has
    none) to a key, or is a function doing that lookup and returning None if unknown."""
    ident = key_id(message)
    key = keys(ident) if callable(keys) else keys.get(ident)
    return key is not None and verify(message, key)
