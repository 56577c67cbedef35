"""Open a transport from a target URL, as the command line gives it."""

from __future__ import annotations

from pathlib import Path

from factories.transport.base import Transport
from factories.transport.http import HttpTransport
from factories.transport.spool import Spool
from factories.transport.udp import UdpTransport


def open_target(
    target: str,
    *,
    token: str | None = None,
    spool_dir: str | Path | None = None,
    key: bytes | None = None,
    key_id: str | None = None,
) -> Transport:
    """`udp://host:port[,host:port...]` or `http(s)://host:port` (needs a token)."""
    scheme = target.split("://", 1)[0].lower() if "://" in target else "udp"
    if scheme == "udp":
        rest = target.split("://", 1)[-1]
        return UdpTransport([d for d in rest.split(",") if d], key=key, key_id=key_id)
    if scheme in ("http", "https"):
        if not token:
            raise ValueError("an HTTP target needs a site token")
        spool = Spool(spool_dir) if spool_dir is not None else None
        return HttpTransport(target, token, spool=spool)
    raise ValueError(f"unknown target scheme {scheme!r} (use udp:// or http://)")
