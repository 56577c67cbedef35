"""The read side: the served version of a target, and the index of everything served.

Serving is the hot path CRIC polls: one indexed query for the current version's tag, and
the body from a small in-process cache keyed by that tag (a new version has a new tag, so
that cache needs no invalidation). The answer to the query itself is remembered for
CURRENT_TTL seconds per process: most requests then touch no database at all, and a
document replaced or withdrawn by another process is seen within that time (the process
that publishes forgets its own answers at once). Documents change every five minutes and
are served with max-age=300, so a couple of seconds is well inside what clients accept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from vacmon.models import CrrSpaceSettings, CrrTarget, PublishedDocument

BODY_CACHE_SIZE = 512
CURRENT_TTL = 2.0
CURRENT_CACHE_SIZE = 4096  # also bounds what requests for made-up URLs can fill


@dataclass(frozen=True)
class Served:
    etag: str
    published_at: datetime
    body: bytes


Key = tuple[str, str, str]
_current: dict[Key, tuple[float, Served | None]] = {}


def served_document(site: str, space: str, fmt: str) -> Served | None:
    """The current version of a target in `fmt`, or None if nothing is served there."""
    key = (site, space, fmt)
    now = time.monotonic()
    hit = _current.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    served = _query_current(site, space, fmt)
    if len(_current) >= CURRENT_CACHE_SIZE:
        _current.clear()
    _current[key] = (now + CURRENT_TTL, served)
    return served


def forget(site: str, space: str) -> None:
    """Drop this process's remembered answers for a target (it was just republished)."""
    for key in [k for k in _current if k[:2] == (site, space)]:
        _current.pop(key, None)


def forget_all() -> None:
    _current.clear()


def _query_current(site: str, space: str, fmt: str) -> Served | None:
    rows = (
        PublishedDocument.objects.filter(site=site, space=space, format=fmt, current=True)
        .order_by()
        .values_list("pk", "etag", "published_at")[:1]
    )
    for pk, etag, published_at in rows:
        return Served(etag, published_at, _body(pk, etag))
    return None


@lru_cache(maxsize=BODY_CACHE_SIZE)
def _body(pk: int, etag: str) -> bytes:
    # Keyed by (pk, etag): a row's body never changes once written.
    return PublishedDocument.objects.values_list("body", flat=True).get(pk=pk).encode()


@dataclass
class IndexEntry:
    """One published URL (a space, or with `space == ""` a site aggregate)."""

    site: str
    space: str
    versions: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # fmt -> etag, time
    failure_count: int = 0
    consecutive_failures: int = 0
    last_error: str = ""
    last_success_at: datetime | None = None


def index_entries() -> list[IndexEntry]:
    """Every target served now, or failing now, except spaces switched off."""
    hidden = set(
        CrrSpaceSettings.objects.filter(publish=False).values_list("site", "space").order_by()
    )
    entries: dict[tuple[str, str], IndexEntry] = {}
    for target in CrrTarget.objects.all():
        key = (target.site, target.space)
        if key not in hidden:
            entries[key] = IndexEntry(
                target.site,
                target.space,
                failure_count=target.failure_count,
                consecutive_failures=target.consecutive_failures,
                last_error=target.last_error,
                last_success_at=target.last_success_at,
            )
    current = PublishedDocument.objects.filter(current=True).values_list(
        "site", "space", "format", "etag", "published_at"
    )
    for site, space, fmt, etag, published_at in current.order_by():
        if (site, space) in entries:
            entries[(site, space)].versions[fmt] = (etag, published_at)
    shown = [e for e in entries.values() if e.versions or e.consecutive_failures]
    return sorted(shown, key=lambda e: (e.site, e.space))
