"""Fire-and-forget UDP to one or more VacMon listeners, over IPv4 and IPv6 (spec 1.1).

One JSON document per datagram, `json.dumps` defaults like the real senders. Destinations
are `host:port` (Vac's `vacmon_hostport` syntax) plus `[v6addr]:port` and `udp://` prefixes,
which the original regex did not allow (spec 9.15).
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from factories.messages import MAX_DATAGRAM
from factories.signing import sign
from factories.transport.base import Refused, SendResult, Wire, refusal

log = logging.getLogger(__name__)

VACMON_PORT = 8884
Resolver = Callable[..., list[tuple[Any, ...]]]


def parse_hostport(text: str, default_port: int = VACMON_PORT) -> tuple[str, int]:
    """`host:port`, `[::1]:8884`, `udp://host:port` or a bare host -> (host, port)."""
    value = text.strip()
    if "://" in value:
        scheme, value = value.split("://", 1)
        if scheme.lower() != "udp":
            raise ValueError(f"not a UDP destination: {text!r}")
        value = value.rstrip("/")
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif value.count(":") == 1:
        host, port = value.split(":")
    else:
        host, port = value, ""  # a bare name or a bare IPv6 address
    if not host:
        raise ValueError(f"no host in {text!r}")
    if port and not port.isdigit():
        raise ValueError(f"bad port in {text!r}")
    return host.lower(), int(port) if port else default_port


def encode(message: Wire) -> bytes:
    return json.dumps(message).encode("ascii")


class UdpTransport:
    """Sends every message to every destination; nothing is acknowledged or retried."""

    def __init__(
        self,
        destinations: Iterable[str | tuple[str, int]],
        *,
        key: bytes | None = None,
        key_id: str | None = None,
        resolver: Resolver = socket.getaddrinfo,
    ) -> None:
        self.destinations = [d if isinstance(d, tuple) else parse_hostport(d) for d in destinations]
        self.key = key
        self.key_id = key_id
        self._resolver = resolver
        self._sockets: dict[int, socket.socket] = {}

    def send(self, messages: Sequence[Wire]) -> SendResult:
        result = SendResult()
        payloads: list[bytes] = []
        now = int(time.time())
        for message in messages:
            refused = refusal(message, now)
            if refused is not None:
                result.refused.append(refused)
                continue
            data = encode(sign(message, self.key, self.key_id) if self.key else message)
            if len(data) > MAX_DATAGRAM:
                result.refused.append(Refused(message, "oversize", f"{len(data)} bytes"))
            else:
                payloads.append(data)
        for host, port in self.destinations:
            self._send_to(host, port, payloads, result)
        return result

    def _send_to(self, host: str, port: int, payloads: list[bytes], result: SendResult) -> None:
        try:
            family, address = self._resolve(host, port)
            sock = self._socket(family)
            for data in payloads:
                sock.sendto(data, address)
                result.delivered += 1
        except OSError as exc:
            # One unreachable VacMon must not stop the others (or the factory cycle).
            log.warning("UDP send to %s:%d failed: %s", host, port, exc)
            result.errors.append(f"{host}:{port}: {exc}")

    def _resolve(self, host: str, port: int) -> tuple[int, tuple[Any, ...]]:
        infos = self._resolver(host, port, 0, socket.SOCK_DGRAM)
        if not infos:
            raise OSError(f"cannot resolve {host}")
        family, _type, _proto, _name, address = infos[0]
        return int(family), tuple(address)

    def _socket(self, family: int) -> socket.socket:
        sock = self._sockets.get(family)
        if sock is None:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            self._sockets[family] = sock
        return sock

    def close(self) -> None:
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()
