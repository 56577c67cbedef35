"""HTTP transport to VacMon's ingest API, with retries and an on-disk spool.

`POST <base>/api/v1/messages`, body = JSON array of messages, `Authorization: Bearer
<site token>`. VacMon answers 202 with per-item outcomes, 400 for a malformed batch and 413
for a batch that is too large. With a spool, every batch is written to disk before the
first attempt and removed only once VacMon has answered for it, so a crash, an outage or a
bad token loses nothing; replay is in order.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from factories.transport.base import DeliveryError, Refused, SendResult, Wire
from factories.transport.spool import Spool

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/v1/messages"
# Post = (url, body, headers, timeout) -> (status, response body); 0 = no connection.
Post = Callable[[str, bytes, Mapping[str, str], float], tuple[int, bytes]]
_REFUSED_WORDS = frozenset({"rejected", "refused", "invalid", "error"})


class Outcome(Enum):
    DONE = "done"  # VacMon answered for every message (some may be refused)
    RETRY_LATER = "retry_later"  # unreachable, 5xx, 429, 401/403: keep and try again


def endpoint(base_url: str, path: str) -> str:
    """`http://host:8000` -> `http://host:8000/api/v1/messages`; a URL with a path is kept."""
    if urlsplit(base_url).path in ("", "/"):
        return base_url.rstrip("/") + path
    return base_url


def urllib_post(
    url: str, body: bytes, headers: Mapping[str, str], timeout: float
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read() or b"")
    except (urllib.error.URLError, OSError) as exc:
        log.info("POST %s failed: %s", url, exc)
        return 0, str(exc).encode()


def refused_items(messages: Sequence[Wire], body: bytes) -> list[Refused]:
    """Messages VacMon's report marks as refused. Its shape is `{"accepted": n, "duplicates":
    n, "rejected": n, "items": [{"index": i, "status": "accepted"|"rejected", "reason": r,
    "error": text}]}`; a bare list of items or a `results` list is read the same way. Items
    match by `index`, else by position."""
    try:
        data: Any = json.loads(body or b"null")
    except ValueError:
        return []
    if isinstance(data, dict):
        data = data.get("results", data.get("items"))
    if not isinstance(data, list):
        return []
    out: list[Refused] = []
    for position, item in enumerate(data):
        if not isinstance(item, dict):
            continue
        status = str(item.get("status", item.get("outcome", ""))).lower()
        index = item.get("index", position)
        if status in _REFUSED_WORDS and isinstance(index, int) and 0 <= index < len(messages):
            reason = str(item.get("reason", status))
            detail = str(item.get("error", item.get("detail", "")))
            out.append(Refused(messages[index], reason, detail))
    return out


class HttpTransport:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        spool: Spool | None = None,
        retries: int = 3,
        backoff: float = 1.0,
        timeout: float = 10.0,
        max_batch: int = 500,
        post: Post = urllib_post,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = endpoint(base_url, MESSAGES_PATH)
        self.token = token
        self.spool = spool
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.max_batch = max_batch
        self._post = post
        self._sleep = sleep
        self._monotonic = monotonic
        self._paused_until = 0.0

    def send(self, messages: Sequence[Wire]) -> SendResult:
        batches = [
            list(messages[i : i + self.max_batch]) for i in range(0, len(messages), self.max_batch)
        ]
        if self.spool is None:
            return self._send_unspooled(batches)
        for batch in batches:
            self.spool.put(batch)
        if self._monotonic() < self._paused_until:
            # VacMon was just found down: do not block every cycle on the same retries.
            return SendResult(spooled=sum(len(self.spool.load(p)) for p in self.spool.entries()))
        return self.flush()

    def _send_unspooled(self, batches: list[list[Wire]]) -> SendResult:
        result = SendResult()
        for batch in batches:
            outcome, remaining = self._deliver(batch, result)
            if outcome is Outcome.RETRY_LATER:
                raise DeliveryError(f"{len(remaining)} messages not delivered to {self.url}")
        return result

    def flush(self) -> SendResult:
        """Replay the spool oldest first; stop at the first batch VacMon cannot take now.
        After such a failure `send` only spools, for as long as one round of retries took."""
        result = SendResult()
        if self.spool is None:
            return result
        entries = self.spool.entries()
        for number, path in enumerate(entries):
            batch = self.spool.load(path)
            before = len(result.refused)
            outcome, remaining = self._deliver(batch, result)
            if outcome is Outcome.RETRY_LATER:
                self._paused_until = self._monotonic() + self.backoff * 2**self.retries
                self.spool.replace(path, remaining)
                result.spooled = len(remaining) + sum(
                    len(self.spool.load(p)) for p in entries[number + 1 :]
                )
                return result
            if len(result.refused) > before:
                refused = [r.message for r in result.refused[before:]]
                self.spool.reject(path, refused, result.refused[before].reason)
            self.spool.remove(path)
        return result

    def _deliver(self, batch: Sequence[Wire], result: SendResult) -> tuple[Outcome, list[Wire]]:
        """POST one batch, halving it on 413; returns what is still undelivered."""
        if not batch:
            return Outcome.DONE, []
        status, body = self._post_with_retries(batch)
        if status in (200, 201, 202):
            refused = refused_items(batch, body)
            result.refused.extend(refused)
            result.delivered += len(batch) - len(refused)
            return Outcome.DONE, []
        if status == 413 and len(batch) > 1:
            half = len(batch) // 2
            outcome, rest = self._deliver(batch[:half], result)
            if outcome is Outcome.RETRY_LATER:
                return outcome, rest + list(batch[half:])
            return self._deliver(batch[half:], result)
        if status in (400, 413):
            # VacMon answers 400 with the same per-item report when every item is bad.
            detail = body[:500].decode("utf-8", "replace")
            refused = refused_items(batch, body) if status == 400 else []
            result.refused.extend(refused or [Refused(m, f"http_{status}", detail) for m in batch])
            return Outcome.DONE, []
        result.errors.append(f"HTTP {status or 'unreachable'} from {self.url}")
        return Outcome.RETRY_LATER, list(batch)

    def _post_with_retries(self, batch: Sequence[Wire]) -> tuple[int, bytes]:
        body = json.dumps(list(batch)).encode()
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.token}",
        }
        status, answer = 0, b""
        for attempt in range(self.retries + 1):
            status, answer = self._post(self.url, body, headers, self.timeout)
            if not _transient(status):
                return status, answer
            if attempt < self.retries:
                self._sleep(self.backoff * 2**attempt)
        return status, answer

    def close(self) -> None:
        """Nothing to release: each POST opens its own connection."""


def _transient(status: int) -> bool:
    # 401/403 are not retried within a cycle (a token does not fix itself in seconds) but
    # the batch stays spooled for the next cycle.
    return status == 0 or status == 429 or status >= 500
