from __future__ import annotations

import json
import socket

import pytest

from factories.messages import parse_datagram
from factories.signing import verify
from factories.transport import UdpTransport, open_target, parse_hostport
from tests import samples


def listener(family, host):
    try:
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.bind((host, 0))
    except OSError as exc:
        pytest.skip(f"{host} not available here: {exc}")
    sock.settimeout(2.0)
    return sock


def receive(sock, count):
    return [sock.recvfrom(65535)[0] for _ in range(count)]


def messages():
    return [json.loads(samples.VAC_FACTORY), json.loads(samples.VAC_MACHINETYPE)]


def test_it_sends_each_message_as_one_datagram_to_ipv4_and_ipv6_listeners():
    v4 = listener(socket.AF_INET, "127.0.0.1")
    v6 = listener(socket.AF_INET6, "::1")
    destinations = [f"127.0.0.1:{v4.getsockname()[1]}", f"[::1]:{v6.getsockname()[1]}"]
    transport = UdpTransport(destinations)
    try:
        result = transport.send(messages())
        got4, got6 = receive(v4, 2), receive(v6, 2)
    finally:
        transport.close()
        v4.close()
        v6.close()
    assert result.delivered == 4 and not result.errors
    for datagrams in (got4, got6):
        parsed = [parse_datagram(d, received=1543000000) for d in datagrams]
        assert [m.message_type for m in parsed] == ["factory_status", "machinetype_status"]
        assert json.loads(datagrams[0]) == messages()[0]


def test_signed_datagrams_carry_a_verifiable_hmac():
    sock = listener(socket.AF_INET, "127.0.0.1")
    transport = UdpTransport([("127.0.0.1", sock.getsockname()[1])], key=b"k", key_id="id1")
    try:
        transport.send(messages()[:1])
        data = receive(sock, 1)[0]
    finally:
        transport.close()
        sock.close()
    obj = json.loads(data)
    assert obj["key_id"] == "id1" and verify(obj, b"k")
    # A receiver that does not check signatures still accepts the message, untrusted, and
    # does not keep the signature keys.
    message = parse_datagram(data, received=1543000000)
    assert not message.trusted and "hmac_sha256" not in message.extra


def test_an_unreachable_destination_does_not_stop_the_others():
    sock = listener(socket.AF_INET, "127.0.0.1")

    def resolver(host, port, *args):
        if host == "nowhere.invalid":
            raise socket.gaierror("no such host")
        return socket.getaddrinfo(host, port, *args)

    port = sock.getsockname()[1]
    transport = UdpTransport(["nowhere.invalid:8884", f"127.0.0.1:{port}"], resolver=resolver)
    try:
        result = transport.send(messages()[:1])
        assert receive(sock, 1)
    finally:
        transport.close()
        sock.close()
    assert result.delivered == 1 and len(result.errors) == 1


def test_a_message_too_big_for_one_datagram_is_refused_not_sent():
    transport = UdpTransport([("127.0.0.1", 9)])
    # Valid by every field bound, yet more than one datagram can carry.
    huge = {**messages()[0], **{f"note{i}": "x" * 1024 for i in range(64)}}
    result = transport.send([huge])
    transport.close()
    assert result.refused[0].reason == "oversize" and result.delivered == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"running_hs06": 1.7e308}, "out_of_range"),
        ({"site": "a/b"}, "bad_name"),
        ({"x": [[[[[[[[[[]]]]]]]]]]}, "too_deep"),
    ],
)
def test_a_message_the_server_would_refuse_is_refused_with_its_reason_not_sent(change, reason):
    sock = listener(socket.AF_INET, "127.0.0.1")
    sock.settimeout(0.2)
    transport = UdpTransport([f"127.0.0.1:{sock.getsockname()[1]}"])
    bad = {**messages()[0], **change}
    try:
        result = transport.send([bad])
        with pytest.raises(TimeoutError):
            sock.recvfrom(65535)
    finally:
        transport.close()
        sock.close()
    assert [r.reason for r in result.refused] == [reason]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vacmon.gridpp.ac.uk:8884", ("vacmon.gridpp.ac.uk", 8884)),
        ("VacMon.Example.org:9000", ("vacmon.example.org", 9000)),
        ("[2001:db8::1]:8884", ("2001:db8::1", 8884)),
        ("udp://127.0.0.1:8884", ("127.0.0.1", 8884)),
        ("vacmon.example.org", ("vacmon.example.org", 8884)),
        ("2001:db8::1", ("2001:db8::1", 8884)),
    ],
)
def test_it_parses_vacmon_hostport_forms(text, expected):
    assert parse_hostport(text) == expected


@pytest.mark.parametrize("text", ["http://x:1", ":8884", "host:port"])
def test_it_refuses_bad_destinations(text):
    with pytest.raises(ValueError):
        parse_hostport(text)


def test_open_target_needs_a_token_for_http():
    with pytest.raises(ValueError):
        open_target("http://127.0.0.1:8000")
    assert isinstance(open_target("udp://a:1,b:2"), UdpTransport)
