"""HTTP ingest: one JSON object, a JSON array, or NDJSON, through the steps UDP uses.

Each item goes through the parse step (vacmon.ingest.pipeline.Parser: trust gate, name
budget, dedup) and the accepted ones through the store step (vacmon.ingest.batch), with
the same counting as UDP, on the channel "http". An NDJSON line is taken as UDP takes a
datagram: at most 65,507 bytes, UTF-8, one JSON object; a bad line costs that line only.

Accepted items are written before the answer, so an answered upload is durable. A store
that stays unavailable answers 503 (the client sends again); an item the store can never
take is quarantined and reported as rejected, and its neighbours stored. A request refused
as a whole (too large, too many items, the wrong content type, an unreadable or empty body)
is counted once as `rejected` with its reason, as a rate-limited one is.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings

from factories.messages import Message, Rejected, decode_json
from vacmon.ingest.batch import BatchStore, Brief
from vacmon.ingest.counters import Counters
from vacmon.ingest.name_refusals import budget_from_settings
from vacmon.ingest.names import NameBudget
from vacmon.ingest.pipeline import Outcome, Parser
from vacmon.ingest.quarantine import UNSTORABLE, Held
from vacmon.publisher.first import NewSpaces
from vacmon.store import get_store
from vacmon.store.base import WriteResult
from vacmon.store.faults import describe, is_transient
from vacmon.trust.gate import HttpGate
from vacmon.trust.principals import IngestIdentity

CHANNEL = "http"
EMPTY = "empty"
TOO_MANY_ITEMS = "too_many_items"
OVERSIZE = "oversize"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
# What a body may be, by its media type; no Content-Type at all is taken as JSON.
NDJSON_MARKS = ("ndjson", "jsonlines", "json-seq")
JSON_TYPES = ("application/json", "")

_counters = Counters()
_parser = Parser(_counters, CHANNEL)


def _write(messages: Sequence[Message]) -> WriteResult:
    return get_store().write(messages)


def _prepare(messages: Sequence[Message]) -> Sequence[Message]:
    return get_store().prepare(messages)


# A client waits for the answer: a few short tries, then 503 so that it sends again. In
# line with the UDP workers for SQLite's one writer (the write lock), not starved by them.
_batches = BatchStore(
    _parser, _write, retry=Brief(tries=4), on_written=NewSpaces(), prepare=_prepare
)


@dataclass
class IngestReport:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "items": self.items,
        }


class BodyRefused(Exception):
    """The request as a whole is refused (and counted); `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail


class StoreUnavailable(Exception):
    """The store kept failing transiently; what was not stored may be sent again."""


def refuse(status: int, reason: str, detail: str) -> BodyRefused:
    """Count a request refused as a whole and return the error to raise."""
    _counters.add(CHANNEL, "rejected", reason)
    _counters.flush()
    return BodyRefused(status, reason, detail)


def count_rate_limited() -> None:
    _counters.add(CHANNEL, "rejected", "rate_limited")
    _counters.flush()


def ingest_body(
    body: bytes, content_type: str, source: str, *, identity: IngestIdentity | None = None
) -> IngestReport:
    """Take every message of a request body; raises BodyRefused or StoreUnavailable."""
    media = content_type.split(";", 1)[0].strip().lower()
    if not body.strip():
        raise refuse(400, EMPTY, "the body holds no message")
    if any(mark in media for mark in NDJSON_MARKS):
        items: Sequence[Any] = ndjson_lines(body)
        values = False
    elif media in JSON_TYPES or media.endswith("+json"):
        items, values = json_items(body)
    else:
        raise refuse(
            415,
            UNSUPPORTED_MEDIA_TYPE,
            f"{media!r:.80} is not application/json or application/x-ndjson",
        )
    if not items:
        raise refuse(400, EMPTY, "the body holds no message")
    most = settings.VACMON_HTTP_MAX_ITEMS
    if len(items) > most:
        raise refuse(413, TOO_MANY_ITEMS, f"at most {most} messages a request")
    return ingest_items(items, source, identity=identity, values=values, body=body)


def ndjson_lines(body: bytes) -> list[bytes]:
    """The non-blank lines (LF or CRLF) of an NDJSON body, each still as bytes."""
    return [line for line in body.splitlines() if line.strip()]


def json_items(body: bytes) -> tuple[list[Any], bool]:
    """The items of a JSON body, decoded (True), or its lines when it is not one JSON value
    but several lines (False): NDJSON sent as application/json."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(400, "not_utf8", f"body is not UTF-8 at byte {exc.start}") from None
    try:
        value = decode_json(text)
    except Rejected as exc:
        if "\n" not in text.strip():
            raise refuse(400, exc.reason, exc.detail) from None
        return ndjson_lines(body), False
    return (value if isinstance(value, list) else [value]), True


def ingest_items(
    items: Sequence[Any],
    source: str,
    *,
    identity: IngestIdentity | None = None,
    values: bool = False,
    body: bytes = b"",
) -> IngestReport:
    """Parse each item (raw lines, or decoded `values`) and store the accepted ones; an
    authenticated sender's messages are trusted, but only for the sites it is granted."""
    now = time.time()
    parser = _parser.with_gate(HttpGate(identity), name_budget())
    parse = parser.parse_value if values else parser.parse
    report = IngestReport()
    out = report.items
    held: list[Held] = []
    positions: list[int] = []
    duplicates = 0
    for index, item in enumerate(items):
        outcome: Outcome = parse(item, source, now)
        message = outcome.message
        if message is None:
            report.rejected += 1
            out.append(_rejected_item(index, outcome.rejection or _NO_REASON))
            continue
        # A duplicate is answered as taken: the server has it, as it has a store duplicate.
        out.append({"index": index, "status": "accepted"})
        if outcome.duplicate:
            duplicates += 1
            continue
        raw = _raw_value(item, body) if values else item
        held.append(Held(message, raw, source, now))
        positions.append(index)
    _store(held, positions, report)
    report.duplicates += duplicates
    return report


def _store(held: list[Held], positions: list[int], report: IngestReport) -> None:
    try:
        isolated = _batches.store(held)
    except Exception as exc:
        if not is_transient(exc):
            raise
        raise StoreUnavailable(describe(exc)) from exc
    for i, reason in isolated.poisoned:
        index = positions[i]
        report.items[index] = _rejected_item(index, Rejected(UNSTORABLE, reason))
    report.rejected += len(isolated.poisoned)
    report.accepted = isolated.inserted
    report.duplicates = isolated.duplicates


_budgets: dict[int, NameBudget | None] = {}


def name_budget() -> NameBudget | None:
    """This process's budget, made on first use (and again if the setting changes)."""
    per_hour = int(settings.VACMON_NAME_BUDGET)
    if per_hour not in _budgets:
        _budgets.clear()
        _budgets[per_hour] = budget_from_settings()
    return _budgets[per_hour]


def _raw_value(item: Any, body: bytes) -> bytes:
    """An item of a JSON array as JSON, kept should it be quarantined; one too deep to
    encode again is kept as the whole request body it came in."""
    try:
        return orjson.dumps(item)
    except (orjson.JSONEncodeError, RecursionError):
        return body


# Every parse outcome without a message carries its reason; this only satisfies the types.
_NO_REASON = Rejected("internal_error", "refused without a reason")


def _rejected_item(index: int, exc: Rejected) -> dict[str, Any]:
    item: dict[str, Any] = {
        "index": index,
        "status": "rejected",
        "reason": exc.reason,
        "error": exc.detail,
    }
    if exc.field:
        item["field"] = exc.field
    return item
