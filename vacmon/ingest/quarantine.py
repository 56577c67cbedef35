"""Messages that can never be stored: kept with their bytes and reason, counted and logged.

They are counted as rejected with the reason `unstorable` beside the parse-time reasons, so
/metrics and the ingest counters show them, and kept in QuarantinedMessage (visible in the
admin). If even the quarantine row cannot be written, the bytes go to the log instead: the
message is then lost to the store, but never silently, and it never holds up the others.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from factories.messages import Message
from vacmon.ingest.counters import Counters
from vacmon.ingest.ratelog import RateLimitedLog
from vacmon.models import QuarantinedMessage

log = logging.getLogger("vacmon.ingest")

UNSTORABLE = "unstorable"
_LOGGED_BYTES = 4096


@dataclass(frozen=True)
class Held:
    """An accepted message and what it arrived as, held until the store has it."""

    message: Message
    raw: bytes
    source: str
    received: float


def quarantine(
    channel: str,
    poisoned: Sequence[tuple[Held, str]],
    counters: Counters,
    ratelog: RateLimitedLog,
) -> int:
    """Keep each (held message, reason); return how many quarantine rows were written."""
    if not poisoned:
        return 0
    counters.add(channel, "rejected", UNSTORABLE, n=len(poisoned))
    for held, reason in poisoned:
        ratelog.rejected(held.source, UNSTORABLE, f"{_name(held.message)}: {reason}", held.received)
    rows = [_row(channel, held, reason) for held, reason in poisoned]
    try:
        QuarantinedMessage.objects.bulk_create(rows)
    except Exception:
        log.exception("could not keep %d unstorable message(s) in quarantine", len(rows))
        for held, reason in poisoned:
            log.error(
                "unstorable message from %s (%s), base64 of its first %d bytes: %s",
                held.source,
                reason,
                _LOGGED_BYTES,
                base64.b64encode(held.raw[:_LOGGED_BYTES]).decode("ascii"),
            )
        return 0
    return len(rows)


def _row(channel: str, held: Held, reason: str) -> QuarantinedMessage:
    m = held.message
    return QuarantinedMessage(
        received_at=datetime.fromtimestamp(held.received, UTC),
        channel=channel,
        source=_text(held.source, 64),
        reason=UNSTORABLE,
        detail=_text(reason, 2000),
        message_type=_text(m.message_type, 32),
        site=_text(m.site, 255),
        space=_text(m.space, 255),
        factory=_text(m.factory, 255),
        raw=held.raw,
    )


def _name(m: Message) -> str:
    return _text(f"{m.message_type} {m.site}/{m.space}/{m.factory}", 300)


def _text(value: object, limit: int) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded at all.
    text = str(value).replace("\x00", "")[:limit]
    return text.encode("utf-8", "replace").decode("utf-8")
