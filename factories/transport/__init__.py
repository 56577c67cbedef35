"""Transports from a factory to VacMon: UDP datagrams and the HTTP ingest API."""

from __future__ import annotations

from factories.transport.base import DeliveryError, Refused, SendResult, Transport
from factories.transport.http import HttpTransport
from factories.transport.spool import Spool
from factories.transport.target import open_target
from factories.transport.udp import UdpTransport, parse_hostport

__all__ = [
    "DeliveryError",
    "HttpTransport",
    "Refused",
    "SendResult",
    "Spool",
    "Transport",
    "UdpTransport",
    "open_target",
    "parse_hostport",
]
