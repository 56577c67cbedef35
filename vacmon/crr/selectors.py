"""The read side: the served version of a target, and the index of everything served.

Serving is the hot path CRIC polls: one indexed query for the current version's tag, and
the body from a small in-process cache keyed by that tag. A new version has a new tag,
so the cache never serves a stale body and needs no invalidation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from vacmon.models import CrrSpaceSettings, CrrTarget, PublishedDocument

BODY_CACHE_SIZE = 512


@dataclass(frozen=True)
class Served:
    etag: str
    published_at: datetime
    body: bytes


def served_document(site: str, space: str, fmt: str) -> Served | None:
    """The current version of a target in `fmt`, or None if nothing is served there."""
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
