"""VacQuery: the factory-to-factory UDP protocol on port 995 (spec vac-protocol.md 2).

Encode and decode queries and replies, compute cookies and apply the client's reply
acceptance checks, so a Vac-like manager can poll its space. The cookie is a nonce that ties
replies to one call; it is not authentication.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from factories.flavour import Flavour
from factories.messages import FACTORY_STATUS, MACHINE_STATUS, MACHINETYPE_STATUS

VACQUERY_PORT = 995
MAX_QUERY = 1024  # the responder's recvfrom size: longer queries are truncated, then dropped
MAX_REPLY = 10240  # the client's receive buffer
RESPONDER_CLIENT = "vacd-responder"


class QueryKind(Enum):
    MACHINES = "machines_query"
    MACHINETYPES = "machinetypes_query"
    FACTORY = "factory_query"

    @property
    def legacy_method(self) -> str:
        return _METHODS[self]

    @property
    def reply_type(self) -> str:
        return _REPLY_TYPES[self]


_METHODS = {
    QueryKind.MACHINES: "machines",
    QueryKind.MACHINETYPES: "machinetypes",
    QueryKind.FACTORY: "factories",
}
_BY_METHOD = {method: kind for kind, method in _METHODS.items()}
_REPLY_TYPES = {
    QueryKind.MACHINES: MACHINE_STATUS,
    QueryKind.MACHINETYPES: MACHINETYPE_STATUS,
    QueryKind.FACTORY: FACTORY_STATUS,
}
# Keys the Vac client insists on before it believes a reply (spec 2).
REQUIRED_REPLY_KEYS: dict[QueryKind, tuple[str, ...]] = {
    QueryKind.MACHINETYPES: (
        "num_machinetypes",
        "machinetype",
        "running_hs06",
        "num_before_fizzle",
        "shutdown_message",
        "shutdown_time",
        "shutdown_machine",
    ),
    QueryKind.MACHINES: (
        "num_machines",
        "machine",
        "state",
        "uuid",
        "created_time",
        "started_time",
        "heartbeat_time",
        "cpu_seconds",
        "cpu_percentage",
        "hs06",
        "machinetype",
        "shutdown_message",
        "shutdown_time",
    ),
    QueryKind.FACTORY: (),
}


def make_salt() -> str:
    """A fresh per-call salt: base64 of 32 random bytes, as Vac draws it."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


def cookie_for(salt: str, factory: str) -> str:
    """sha256_hex(salt + factory): the cookie sent to, and expected back from, `factory`."""
    return hashlib.sha256((salt + factory).encode()).hexdigest()


def encode_query(kind: QueryKind, *, space: str, cookie: str, flavour: Flavour) -> bytes:
    """A query in Vac 03.x's exact form: machinetypes_query has no `method`, the other two
    keep it, and factory_query's `vac_version` has no client name."""
    version = flavour.daemon_version
    if kind is QueryKind.FACTORY:
        version = f"{flavour.daemon} {flavour.version}"
    query: dict[str, Any] = {
        "message_type": kind.value,
        "space": space,
        "cookie": cookie,
        "vacquery_version": flavour.vacquery_version,
        "vac_version": version,
    }
    if kind is not QueryKind.MACHINETYPES:
        query["method"] = kind.legacy_method
    return json.dumps(query).encode("ascii")


@dataclass(frozen=True, slots=True)
class Query:
    kind: QueryKind
    cookie: str
    space: str
    raw: Mapping[str, Any]


def decode_query(data: bytes, *, space: str) -> Query | None:
    """What a responder accepts: a JSON object with `cookie` and `space` equal to its own
    space, and a known `message_type` or legacy `method`. Anything else is None (ignored)."""
    if len(data) > MAX_QUERY:
        return None
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(obj, dict) or "cookie" not in obj or obj.get("space") != space:
        return None
    kind = _query_kind(obj)
    if kind is None or not isinstance(obj["cookie"], str):
        return None
    return Query(kind, obj["cookie"], space, obj)


def _query_kind(obj: Mapping[str, Any]) -> QueryKind | None:
    message_type = obj.get("message_type")
    for kind in QueryKind:
        if message_type == kind.value:
            return kind
    method = obj.get("method")
    return _BY_METHOD.get(method) if isinstance(method, str) else None


def encode_reply(status: Mapping[str, Any], *, cookie: str) -> bytes:
    """A status message as a reply: the query's cookie, client name `vacd-responder`."""
    reply = dict(status)
    reply["cookie"] = cookie
    for key in ("daemon_version", "vac_version"):
        value = reply.get(key)
        if isinstance(value, str) and value.count(" ") >= 2:
            reply[key] = value.rsplit(" ", 1)[0] + " " + RESPONDER_CLIENT
    return json.dumps(reply).encode("ascii")


def accept_reply(data: bytes, *, kind: QueryKind, space: str, salt: str) -> dict[str, Any] | None:
    """The client's checks (spec 2): the expected status type, our space, the cookie we
    gave that factory, and the keys Vac needs. Returns the reply or None (discard)."""
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(obj, dict):
        return None
    factory = obj.get("factory")
    if obj.get("message_type") != kind.reply_type or obj.get("space") != space:
        return None
    if not isinstance(factory, str) or obj.get("cookie") != cookie_for(salt, factory):
        return None
    if any(key not in obj for key in REQUIRED_REPLY_KEYS[kind]):
        return None
    return obj


def expected_replies(replies: list[Mapping[str, Any]], kind: QueryKind) -> int:
    """How many replies a factory owes: its `num_machinetypes`/`num_machines`, else 1. The
    client re-sends the query (up to 6 rounds) until a factory has sent that many."""
    key = {QueryKind.MACHINETYPES: "num_machinetypes", QueryKind.MACHINES: "num_machines"}
    name = key.get(kind)
    if name is None or not replies:
        return 1
    value = replies[-1].get(name)
    return int(value) if isinstance(value, int | float) and value > 0 else 1
