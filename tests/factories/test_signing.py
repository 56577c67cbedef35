from __future__ import annotations

import json

from factories.signing import canonical_json, sign, signature, verify, verify_with
from tests import samples

KEY = b"site-secret"


def message():
    return json.loads(samples.VAC_MACHINETYPE)


def test_a_signed_message_verifies_after_a_json_round_trip():
    signed = sign(message(), KEY, key_id="man-2026")
    wire = json.loads(json.dumps(signed))
    assert wire["key_id"] == "man-2026"
    assert len(wire["hmac_sha256"]) == 64
    assert verify(wire, KEY)


def test_the_signature_is_the_hmac_of_the_canonical_json_without_itself():
    signed = sign(message(), KEY)
    unsigned = {k: v for k, v in signed.items() if k != "hmac_sha256"}
    text = json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()
    assert canonical_json(signed) == text
    assert signed["hmac_sha256"] == signature(unsigned, KEY)


def test_a_changed_value_or_key_id_breaks_the_signature():
    signed = sign(message(), KEY, key_id="a")
    assert not verify({**signed, "running_machines": 99}, KEY)
    assert not verify({**signed, "key_id": "b"}, KEY)
    assert not verify(signed, b"other key")


def test_an_unsigned_message_does_not_verify():
    assert not verify(message(), KEY)
    assert not verify({**message(), "hmac_sha256": 12}, KEY)


def test_verify_with_picks_the_key_named_by_key_id():
    signed = sign(message(), KEY, key_id="new")
    assert verify_with(signed, {"old": b"x", "new": KEY})
    assert not verify_with(signed, {"old": KEY})
    assert verify_with(sign(message(), KEY), {None: KEY})
    assert verify_with(signed, lambda ident: KEY if ident == "new" else None)


def test_signing_again_replaces_the_old_signature():
    once = sign(message(), KEY)
    twice = sign(once, KEY)
    assert once["hmac_sha256"] == twice["hmac_sha256"]
