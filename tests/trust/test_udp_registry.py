"""UDP policies loaded from the registry, and rejections counted on the parser's path."""

from __future__ import annotations

import json
import socket

import pytest
from django.core.exceptions import ValidationError

from factories.messages import Rejected, decode_json, normalise
from factories.signing import sign
from factories.transport.udp import UdpTransport
from tests import samples
from vacmon.ingest.counters import Counters, read_all
from vacmon.ingest.pipeline import Parser
from vacmon.models import SigningKey, Site, SiteNetwork, Space
from vacmon.trust.gate import IngestGate, mark
from vacmon.trust.ratelimit import RateLimiter
from vacmon.trust.udp import REFRESH_SECONDS, UdpPolicy

pytestmark = pytest.mark.django_db

SITE = "UKI-NORTHGRID-MAN-HEP"
SECRET = "correct-horse-battery-staple-2026"
NOW = 1543000010.0
OUTSIDER = "203.0.113.9"
INSIDER = "192.0.2.7"


def register(policy: str) -> Site:
    site = Site.objects.create(name=SITE, udp_policy=policy)
    SiteNetwork.objects.create(site=site, cidr="192.0.2.0/24")
    SigningKey.objects.create(site=site, key_id="", secret=SECRET)
    return site


def datagram(signed: bool = False) -> bytes:
    obj = json.loads(samples.VAC_FACTORY)
    if signed:
        obj = sign(obj, SECRET.encode(), key_id="")
    return json.dumps(obj).encode()


def receive(parser: Parser, gate: IngestGate, data: bytes, source: str) -> bool | None:
    """The listener's per-datagram path with the gate in it: the trusted flag, or None when
    the datagram was rejected (and counted)."""
    parser.counters.add(parser.channel, "received")
    try:
        gate.admit(source, NOW)
        obj = decode_json(data)
        trusted = gate.trusted(obj, source, NOW)
        message = mark(normalise(obj, received=int(NOW)), trusted)
    except Rejected as exc:
        parser.reject(exc, source, NOW)
        return None
    assert "hmac_sha256" not in message.extra and "key_id" not in message.extra
    return message.trusted


def test_load_reads_every_sites_policy_networks_and_keys():
    site = register("signed")
    Space.objects.create(site=site, name="vac02.example.org", udp_policy="open")
    SigningKey.objects.create(site=site, key_id="old", secret="an-old-retired-secret", active=False)
    loaded = UdpPolicy.load(NOW)
    policy = loaded.sites[SITE]
    assert policy.mode == "signed"
    assert [str(n) for n in policy.networks] == ["192.0.2.0/24"]
    assert dict(policy.keys) == {"": SECRET.encode()}
    assert loaded.spaces[(SITE, "vac02.example.org")].mode == "open"


def test_maybe_refresh_picks_up_registry_changes_after_thirty_seconds():
    loaded = UdpPolicy.load(NOW)
    assert SITE not in loaded.sites
    register("signed")
    assert not loaded.maybe_refresh(NOW + REFRESH_SECONDS - 1)
    assert loaded.maybe_refresh(NOW + REFRESH_SECONDS)
    assert loaded.sites[SITE].mode == "signed"


@pytest.mark.parametrize(
    ("policy", "source", "signed", "expected", "reason"),
    [
        ("open", OUTSIDER, False, False, None),
        ("open", OUTSIDER, True, True, None),
        ("networks", INSIDER, False, True, None),
        ("networks", OUTSIDER, False, None, "source_not_allowed"),
        ("networks", OUTSIDER, True, True, None),
        ("signed", INSIDER, False, None, "unsigned"),
        ("signed", OUTSIDER, False, None, "unsigned"),
        ("signed", OUTSIDER, True, True, None),
    ],
)
def test_each_policy_accepts_or_rejects_and_counts(policy, source, signed, expected, reason):
    register(policy)
    parser = Parser(Counters(), "udp")
    gate = IngestGate(UdpPolicy.load(NOW), None)
    assert receive(parser, gate, datagram(signed), source) is expected
    parser.counters.flush()
    counted = read_all()
    assert counted[("udp", "received", "")] == 1
    if reason is None:
        assert not any(name == "rejected" for _, name, _ in counted)
    else:
        assert counted[("udp", "rejected", reason)] == 1


def test_the_rate_limit_rejects_and_counts_a_flooding_source():
    parser = Parser(Counters(), "udp")
    gate = IngestGate(UdpPolicy(), RateLimiter(rate=1, burst=3))
    results = [receive(parser, gate, datagram(), OUTSIDER) for _ in range(5)]
    assert results == [False, False, False, None, None]
    parser.counters.flush()
    assert read_all()[("udp", "rejected", "rate_limited")] == 2


def test_a_key_must_be_long_enough():
    key = SigningKey(site=register("signed"), key_id="short", secret="too-short")
    with pytest.raises(ValidationError):
        key.full_clean()


def test_a_datagram_signed_by_the_factory_library_is_trusted_by_the_registered_secret():
    register("signed")
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    sender = UdpTransport([receiver.getsockname()], key=SECRET.encode(), key_id="")
    try:
        sender.send([json.loads(samples.VAC_FACTORY)])
        data, (source, _) = receiver.recvfrom(65535)
    finally:
        sender.close()
        receiver.close()
    obj = decode_json(data)
    now = float(obj["time_sent"])
    assert UdpPolicy.load(now).check(obj, source, now).trusted
