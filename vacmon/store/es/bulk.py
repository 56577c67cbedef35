"""What a bulk send came to, and the error raised when the cluster did not take a batch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from elasticsearch import ApiError, SerializationError

from factories.messages import Message
from vacmon.store.es import builders
from vacmon.store.es.capabilities import missing_handler


@dataclass
class BulkOutcome:
    inserted: int = 0
    duplicates: int = 0
    retry: list[Message] = field(default_factory=list)  # 429/5xx after every retry
    failed: list[tuple[Message, str]] = field(default_factory=list)  # refused for good


class Unavailable(Exception):
    """The cluster did not take (all of) a batch; `unsent` is what it may not have."""

    def __init__(self, reason: str, outcome: BulkOutcome, unsent: list[Message], status: int = 0):
        super().__init__(reason)
        self.outcome = outcome
        self.unsent = unsent
        self.status = status

    @property
    def unavailable_status(self) -> int:
        """The status store.faults judges by: 0 (unreachable), 429 and 5xx pass."""
        return self.status


def still_waiting(messages: Sequence[Message], waiting: dict[str, list[Message]]) -> list[Message]:
    """The unconfirmed messages, in their original order."""
    left = Counter({key: len(items) for key, items in waiting.items()})
    out = []
    for message in reversed(messages):
        key = builders.doc_id(message)
        if left[key]:
            left[key] -= 1
            out.append(message)
    return out[::-1]


def status_of(exc: Exception) -> int:
    if isinstance(exc, SerializationError):
        # A body the client cannot encode is refused for good, as a 400 would be.
        return 400
    return exc.status_code if isinstance(exc, ApiError) else 0


def describe(exc: Exception) -> str:
    if isinstance(exc, ApiError):
        return f"HTTP {exc.status_code} {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def setup_failure(exc: Exception, lifecycle: str) -> str:
    """Why installing templates and lifecycle failed, naming the setting to change when the
    cluster has no such API at all."""
    reason = f"installing the templates failed: {describe(exc)}"
    if isinstance(exc, ApiError) and missing_handler(exc.status_code, exc.body):
        reason += (
            f"; this cluster does not serve the API ELASTICSEARCH_LIFECYCLE={lifecycle} needs: "
            "set ELASTICSEARCH_LIFECYCLE=none (or the mode the cluster supports; see "
            "manage.py check_store)"
        )
    return reason
