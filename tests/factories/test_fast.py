"""The msgspec fast path (factories.messages.fast) against the full path: the same Message
or the same refusal, reason, detail and field, for every datagram."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from factories.messages import Rejected, decode_datagram, normalise
from factories.messages.fast import CHECKED
from factories.messages.schema import ALIASES, FIELDS, IGNORED_LEGACY
from factories.signing import sign
from tests import samples
from tests.fuzz.datagrams import TRICKY, next_datagram

RECEIVED = 1543000000
SAMPLES = [json.loads(s) for s in samples.ALL]
KEYS = sorted(
    {k for table in FIELDS.values() for k in table}
    | {k for aliases in ALIASES.values() for k in aliases}
    | IGNORED_LEGACY
)
# Values near every bound the fast path checks in C: counts sent as floats, integers at
# 64 bits and just past them, strings at the length limit, times at the window's edges.
EDGES: tuple[Any, ...] = (
    *TRICKY,
    1.0,
    -0.0,
    0.5,
    1e7,
    10**7 + 1,
    1e9,
    1e9 + 1,
    2**50,
    2**62,
    2**63 - 1,
    -(2**63),
    2**64 - 1,
    9.2e18,
    1e19,
    "x" * 1024,
    "é" * 1024,
    "é" * 1025,
    "vm-1@slot1.example.org",
    RECEIVED - 30 * 365 * 86400 - 1,
    RECEIVED + 365 * 86400 + 1,
    float(RECEIVED),
    RECEIVED + 0.5,
    [[[[[[[[[1]]]]]]]]],
)


def outcome(data: bytes, fast: bool) -> tuple[Any, ...]:
    try:
        obj = decode_datagram(data, fast=fast)
        # What the UDP trust gate reads of a raw message (vacmon.trust.udp).
        seen = (
            (obj.get("site"), obj.get("space"), "hmac_sha256" in obj)
            if isinstance(obj, dict)
            else None
        )
        return ("stored", normalise(obj, received=RECEIVED), seen)
    except Rejected as exc:
        return ("refused", exc.reason, exc.detail, exc.field)


def near_miss(rng: random.Random) -> bytes:
    """A real message with a few keys set to edge values, legacy keys added or removed."""
    obj = dict(rng.choice(SAMPLES))
    obj["time_sent"] = RECEIVED - rng.randrange(600)
    for _ in range(rng.randint(0, 4)):
        if rng.random() < 0.2 and obj:
            del obj[rng.choice(list(obj))]
        else:
            obj[rng.choice(KEYS)] = rng.choice(EDGES)
    if rng.random() < 0.05:
        obj["unknown_key"] = rng.choice(EDGES)
    text = json.dumps(obj, ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.05:
        # The same key twice: the later one counts, on both paths.
        text = text[:-1] + f', "running_processors": {rng.choice((1, 2.0, -1, "x"))}}}'
    return text.encode("utf-8", "surrogatepass")


def test_both_paths_agree_on_a_large_fuzzed_corpus():
    rng = random.Random(17)
    corpus = [near_miss(rng) for _ in range(30_000)]
    corpus += [next_datagram(rng, RECEIVED) for _ in range(20_000)]
    taken = 0
    for data in corpus:
        fast, full = outcome(data, fast=True), outcome(data, fast=False)
        assert fast == full, data
        decoded = _decoded(data)
        taken += isinstance(decoded, dict) and CHECKED in decoded
    # The corpus exercised the fast path itself, not only the fall-back to the full one.
    assert taken > 10_000


def _decoded(data: bytes) -> Any:
    try:
        return decode_datagram(data)
    except Rejected:
        return None


@pytest.mark.parametrize("text", samples.ALL)
def test_every_real_sender_message_takes_the_fast_path(text):
    assert CHECKED in decode_datagram(text.encode())


def test_a_signed_message_takes_the_full_path_so_its_signature_can_be_checked_as_sent():
    signed = sign(json.loads(samples.VAC_FACTORY), bytes(16), key_id="k1")
    obj = decode_datagram(json.dumps(signed).encode())
    assert CHECKED not in obj
    assert obj["hmac_sha256"] == signed["hmac_sha256"]


def test_legacy_keys_that_disagree_are_folded_by_the_full_path_in_the_order_sent():
    obj = json.loads(samples.LEGACY_FACTORY)
    obj["total_cpus"], obj["max_cpus"] = 16, 12
    data = json.dumps(obj).encode()
    assert CHECKED not in decode_datagram(data)
    assert normalise(decode_datagram(data), received=RECEIVED).fields["max_processors"] == 12
