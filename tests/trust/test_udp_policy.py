from __future__ import annotations

import ipaddress
import json

import pytest

from factories.signing import sign
from tests import samples
from vacmon.trust.udp import (
    BAD_SIGNATURE,
    NETWORKS,
    OPEN,
    OUTSIDE_WINDOW,
    SIGNED,
    SOURCE_NOT_ALLOWED,
    UNSIGNED,
    SitePolicy,
    UdpPolicy,
    Verdict,
)

SITE = "UKI-NORTHGRID-MAN-HEP"
SPACE = "vac01.tier2.hep.manchester.ac.uk"
KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
OTHER_KEY = bytes.fromhex("ffeeddccbbaa99887766554433221100")
NOW = 1543000010.0
LAN = (ipaddress.ip_network("192.0.2.0/24"), ipaddress.ip_network("2001:db8::/32"))


def message(**changes: object) -> dict[str, object]:
    obj = json.loads(samples.VAC_FACTORY)
    obj.update(changes)
    return obj


def policy(mode: str, **kw: object) -> UdpPolicy:
    return UdpPolicy({SITE: SitePolicy(mode, LAN, {"": KEY})}, **kw)  # type: ignore[arg-type]


def test_it_accepts_an_unsigned_message_for_an_unregistered_site_as_untrusted():
    assert UdpPolicy().check(message(), "203.0.113.9", NOW) == Verdict(False)


def test_it_accepts_an_unsigned_message_for_an_open_site_as_untrusted():
    assert policy(OPEN).check(message(), "203.0.113.9", NOW) == Verdict(False)


def test_it_trusts_a_signed_message_for_an_open_site():
    assert policy(OPEN).check(sign(message(), KEY), "203.0.113.9", NOW) == Verdict(True)


def test_it_rejects_an_unsigned_message_for_a_signed_site():
    assert policy(SIGNED).check(message(), "192.0.2.7", NOW) == Verdict(False, UNSIGNED)


def test_it_trusts_a_message_signed_with_the_sites_key():
    assert policy(SIGNED).check(sign(message(), KEY), "203.0.113.9", NOW) == Verdict(True)


def test_it_rejects_a_message_signed_with_another_key():
    verdict = policy(SIGNED).check(sign(message(), OTHER_KEY), "192.0.2.7", NOW)
    assert verdict == Verdict(False, BAD_SIGNATURE)


def test_it_rejects_a_signed_message_whose_fields_were_changed_in_transit():
    forged = sign(message(), KEY)
    forged["running_processors"] = 8000
    assert policy(SIGNED).check(forged, "192.0.2.7", NOW) == Verdict(False, BAD_SIGNATURE)


def test_it_refuses_a_bad_signature_even_for_an_open_site_with_keys():
    forged = sign(message(), OTHER_KEY)
    assert policy(OPEN).check(forged, "203.0.113.9", NOW) == Verdict(False, BAD_SIGNATURE)


def test_it_accepts_a_signature_it_cannot_check_for_a_site_without_keys_as_untrusted():
    no_keys = UdpPolicy({SITE: SitePolicy(OPEN)})
    assert no_keys.check(sign(message(), OTHER_KEY), "203.0.113.9", NOW) == Verdict(False)


@pytest.mark.parametrize("sent", [NOW - 601, NOW + 601])
def test_it_rejects_a_replayed_signed_message_outside_the_window(sent):
    old = sign(message(time_sent=int(sent)), KEY)
    verdict = policy(SIGNED, replay_window=600).check(old, "192.0.2.7", NOW)
    assert verdict == Verdict(False, OUTSIDE_WINDOW)


def test_it_rejects_a_signed_message_without_a_numeric_time_sent():
    odd = sign(message(time_sent="yesterday"), KEY)
    assert policy(SIGNED).check(odd, "192.0.2.7", NOW) == Verdict(False, OUTSIDE_WINDOW)


def test_it_uses_the_key_named_by_key_id_during_a_rotation():
    rotating = UdpPolicy({SITE: SitePolicy(SIGNED, (), {"2025": OTHER_KEY, "2026": KEY})})
    assert rotating.check(sign(message(), KEY, key_id="2026"), "x", NOW) == Verdict(True)
    wrong = sign(message(), KEY, key_id="2025")
    assert rotating.check(wrong, "x", NOW) == Verdict(False, BAD_SIGNATURE)


def test_it_tries_every_key_for_a_message_without_key_id():
    two = UdpPolicy({SITE: SitePolicy(SIGNED, (), {"a": OTHER_KEY, "b": KEY})})
    assert two.check(sign(message(), KEY), "x", NOW) == Verdict(True)


@pytest.mark.parametrize("source", ["192.0.2.7", "::ffff:192.0.2.7", "2001:db8::5"])
def test_it_trusts_unsigned_messages_from_a_listed_network(source):
    assert policy(NETWORKS).check(message(), source, NOW) == Verdict(True)


@pytest.mark.parametrize("source", ["203.0.113.9", "2001:db9::5", "not an address", ""])
def test_it_rejects_unsigned_messages_from_outside_the_listed_networks(source):
    assert policy(NETWORKS).check(message(), source, NOW) == Verdict(False, SOURCE_NOT_ALLOWED)


def test_a_networks_site_still_trusts_a_signed_message_from_anywhere():
    assert policy(NETWORKS).check(sign(message(), KEY), "203.0.113.9", NOW) == Verdict(True)


def test_it_derives_the_site_from_the_space_when_the_message_has_no_site():
    obj = message(space="vac01.example.org")
    del obj["site"]
    strict = UdpPolicy({"example.org": SitePolicy(SIGNED, (), {"": KEY})})
    assert strict.check(obj, "192.0.2.7", NOW) == Verdict(False, UNSIGNED)


def test_a_space_can_be_stricter_than_its_site():
    site = SitePolicy(OPEN, (), {"": KEY})
    spaces = {(SITE, SPACE): SitePolicy(SIGNED, (), {"": KEY})}
    mixed = UdpPolicy({SITE: site}, spaces)
    assert mixed.check(message(), "x", NOW) == Verdict(False, UNSIGNED)
    assert mixed.check(message(space="vac02.example.org"), "x", NOW) == Verdict(False)


def test_check_leaves_the_object_as_it_was_received():
    signed = sign(message(), KEY, key_id="k")
    before = dict(signed)
    policy(SIGNED).check(signed, "192.0.2.7", NOW)
    assert signed == before


@pytest.mark.parametrize("value", [None, [], "text", 3, [{"site": SITE}]])
def test_it_leaves_values_that_are_not_objects_to_the_parser(value):
    assert policy(SIGNED).check(value, "192.0.2.7", NOW) == Verdict(False)


@pytest.mark.parametrize("signature", ["é" * 64, "", "00" * 32, 7])
def test_it_treats_odd_signature_values_as_bad_signatures(signature):
    obj = message(hmac_sha256=signature)
    assert policy(SIGNED).check(obj, "192.0.2.7", NOW) == Verdict(False, BAD_SIGNATURE)
