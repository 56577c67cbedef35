"""HTTP ingest: one JSON object, a JSON array, or NDJSON, parsed item by item.

Items are validated individually: a bad item is reported and never drops its neighbours.
Accepted items are written to the store before the 202 is sent, so an answered upload is
durable. A store that stays unavailable answers 503 (the client sends again); an item the
store can never take is quarantined and reported as rejected, and its neighbours stored.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings

from factories.messages import Message, Rejected, decode_json, normalise
from vacmon.ingest.counters import Counters
from vacmon.ingest.isolate import write_isolating
from vacmon.ingest.name_refusals import budget_from_settings
from vacmon.ingest.names import NameBudget
from vacmon.ingest.pipeline import Parser
from vacmon.ingest.quarantine import UNSTORABLE, Held, quarantine
from vacmon.ops.metrics import record_write
from vacmon.publisher.first import NewSpaces
from vacmon.store import get_store
from vacmon.store.base import WriteResult
from vacmon.store.faults import Backoff, describe, is_transient, retry_transient
from vacmon.store.writelock import write_lock
from vacmon.trust.http import check_ingest_site
from vacmon.trust.principals import IngestIdentity
from vacmon.trust.registry import AnonymousPolicy

# A signed or networks site's policy holds here too: HTTP has no signature or network.
ANONYMOUS_REFUSED = "anonymous_refused"

_counters = Counters()
_new_spaces = NewSpaces()  # a new space's first CRR document, queued at once
_parser = Parser(_counters, "http")


@dataclass
class IngestReport:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)


def split_items(body: bytes, content_type: str) -> list[Any]:
    """Decode the body into items; raises Rejected when the body as a whole is unreadable."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected("not_utf8", f"body is not UTF-8 at byte {exc.start}") from None
    if "ndjson" in content_type or "jsonlines" in content_type:
        return [_line(n, line) for n, line in enumerate(text.splitlines()) if line.strip()]
    try:
        value = decode_json(text)
    except Rejected:
        if "\n" not in text.strip():
            raise
        return [_line(n, line) for n, line in enumerate(text.splitlines()) if line.strip()]
    return value if isinstance(value, list) else [value]


def _line(number: int, line: str) -> Any:
    try:
        return decode_json(line)
    except Rejected as exc:
        # Keep the position: the item is reported as rejected, its neighbours still count.
        return _BadLine(number, exc)


@dataclass
class _BadLine:
    number: int
    error: Rejected


class StoreUnavailable(Exception):
    """The store kept failing transiently; nothing of the request was lost or stored."""


def ingest_items(
    items: list[Any], source: str, *, identity: IngestIdentity | None = None, body: bytes = b""
) -> IngestReport:
    """Validate each item and store the accepted ones; an authenticated sender's messages
    are trusted, but only for the sites its token or JWT grants. An item the store can
    never take is quarantined and reported as rejected; its neighbours are stored."""
    now = time.time()
    report = IngestReport()
    accepted: list[tuple[int, Held]] = []
    anonymous = AnonymousPolicy.load() if identity is None else None
    names = name_budget()
    for index, item in enumerate(items):
        _counters.add("http", "received")
        try:
            if isinstance(item, _BadLine):
                raise item.error
            message = normalise(
                item,
                received=int(now),
                skew_seconds=settings.VACMON_SKEW_SECONDS,
                trusted=identity is not None,
            )
            if not check_ingest_site(identity, message.site):
                raise Rejected("site_not_allowed", f"this sender may not send for {message.site}")
            if anonymous is not None and anonymous.refuses(message.site, message.space):
                raise Rejected(ANONYMOUS_REFUSED, f"{message.site} takes data only with a token")
            if names is not None:
                names.check(message, source, now)
        except Rejected as exc:
            _parser.reject(exc, source, now)
            report.rejected += 1
            report.items.append(_rejected_item(index, exc))
            continue
        accepted.append((index, Held(message, _raw_item(item, body), source, now)))
        report.items.append({"index": index, "status": "accepted"})
    if accepted:
        _store(accepted, report)
    _counters.flush()
    return report


_budgets: dict[int, NameBudget | None] = {}


def name_budget() -> NameBudget | None:
    """This process's budget, made on first use (and again if the setting changes)."""
    per_hour = int(settings.VACMON_NAME_BUDGET)
    if per_hour not in _budgets:
        _budgets.clear()
        _budgets[per_hour] = budget_from_settings()
    return _budgets[per_hour]


def _store(accepted: list[tuple[int, Held]], report: IngestReport) -> None:
    held = [h for _, h in accepted]
    try:
        isolated = write_isolating(_write_retrying, [h.message for h in held])
    except Exception as exc:
        if not is_transient(exc):
            raise
        raise StoreUnavailable(describe(exc)) from exc
    poisoned = [(held[i], reason) for i, reason in isolated.poisoned]
    quarantine("http", poisoned, _counters, _parser.ratelog)
    for i, reason in isolated.poisoned:
        index = accepted[i][0]
        report.items[index] = _rejected_item(index, Rejected(UNSTORABLE, reason))
    report.rejected += len(poisoned)
    report.accepted = isolated.inserted
    report.duplicates = isolated.duplicates
    _counters.add("http", "accepted", n=isolated.inserted)
    _counters.add("http", "duplicates", n=isolated.duplicates)
    bad = {i for i, _ in isolated.poisoned}
    _new_spaces([h.message for i, h in enumerate(held) if i not in bad])


def _write_retrying(messages: Sequence[Message]) -> WriteResult:
    # A client waits for this answer: a few short tries, then 503 so that it sends again.
    return retry_transient(
        lambda: _timed_write(messages), tries=4, backoff=Backoff(first=0.05, most=0.5)
    )


def _timed_write(messages: Sequence[Message]) -> WriteResult:
    # In line with the UDP workers for SQLite's one writer, not starved by them.
    with write_lock():
        started = time.perf_counter()
        result = get_store().write(messages)
        record_write(time.perf_counter() - started, len(messages))
    return result


def _raw_item(item: Any, body: bytes) -> bytes:
    """The item as JSON, kept should it be quarantined; an item too deep to encode again
    is kept as the whole request body it came in."""
    try:
        return orjson.dumps(item)
    except (orjson.JSONEncodeError, RecursionError):
        return body


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


def count_rate_limited() -> None:
    _counters.add("http", "rejected", "rate_limited")
    _counters.flush()
