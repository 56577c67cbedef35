"""Keep published versions and refusals: the write side of the document table.

Exactly one version per (site, space, format) is `current`, the one served; a
partial unique constraint holds that, and the swap happens in one transaction with the
target row locked so two publishers of one target queue up instead of colliding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet

from publisher import ValidationIssue
from vacmon.models import CrrTarget, PublicationFailure, PublishedDocument
from vacmon.publisher import selectors

MAX_ERROR_TEXT = 2000


def etag_of(body: bytes) -> str:
    """A strong validator: the same bytes always give the same tag."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def record_accepted(target: CrrTarget, fmt: str, body: bytes, at: datetime) -> PublishedDocument:
    """Store `body` as the new current version of `target` in `fmt`."""
    with transaction.atomic():
        _lock(target)
        versions = _versions(target, fmt)
        versions.filter(current=True).update(current=False)
        doc = _new_version(target, fmt, body, at, valid=True)
        _prune(target, fmt)
    selectors.forget(target.site, target.space)
    return doc


def record_refused(
    target: CrrTarget,
    fmt: str,
    body: bytes | None,
    issues: Sequence[ValidationIssue],
    at: datetime,
) -> PublicationFailure:
    """Keep the refused candidate (if it could be written at all) and why it was refused;
    the current version is left alone, so the last good document stays served."""
    with transaction.atomic():
        doc = None
        if body is not None:
            doc = _new_version(target, fmt, body, at, valid=False)
        failure = PublicationFailure.objects.create(
            site=target.site,
            space=target.space,
            format=fmt,
            failed_at=at,
            issues=[str(issue) for issue in issues],
            document=doc,
        )
        _prune(target, fmt)
    return failure


def note_outcome(target: CrrTarget, refused: int, error: str, at: datetime) -> None:
    """Update the target's counters: the failure count is the metric an operator (or a
    probe) watches; `consecutive_failures` says whether the problem is still there."""
    targets = CrrTarget.objects.filter(pk=target.pk)
    if refused:
        targets.update(
            last_attempt_at=at,
            failure_count=F("failure_count") + refused,
            consecutive_failures=F("consecutive_failures") + 1,
            last_error=error[:MAX_ERROR_TEXT],
        )
    else:
        targets.update(
            last_attempt_at=at, last_success_at=at, consecutive_failures=0, last_error=""
        )


def withdraw(site: str, space: str) -> int:
    """Stop serving every format of a target (the space is switched off or silent)."""
    withdrawn = PublishedDocument.objects.filter(site=site, space=space, current=True).update(
        current=False
    )
    selectors.forget(site, space)
    return withdrawn


def _lock(target: CrrTarget) -> None:
    # SQLite ignores FOR UPDATE; its IMMEDIATE transactions already serialise writers.
    list(CrrTarget.objects.select_for_update().filter(pk=target.pk).values_list("pk"))


def _versions(target: CrrTarget, fmt: str) -> QuerySet[PublishedDocument]:
    return PublishedDocument.objects.filter(site=target.site, space=target.space, format=fmt)


def _new_version(
    target: CrrTarget, fmt: str, body: bytes, at: datetime, *, valid: bool
) -> PublishedDocument:
    return PublishedDocument.objects.create(
        site=target.site,
        space=target.space,
        format=fmt,
        body=body.decode(),
        etag=etag_of(body),
        published_at=at,
        valid=valid,
        current=valid,
    )


def _prune(target: CrrTarget, fmt: str) -> None:
    """Keep the newest N published versions and the newest N refused candidates (so a
    run of refusals cannot push the published history out), and never the current one."""
    keep = settings.VACMON_CRR_KEEP_VERSIONS
    for valid in (True, False):
        old = (
            _versions(target, fmt)
            .filter(valid=valid)
            .order_by("-published_at", "-id")
            .values_list("id", flat=True)[keep:]
        )
        PublishedDocument.objects.filter(id__in=list(old), current=False).delete()
    stale_failures = PublicationFailure.objects.filter(
        site=target.site, space=target.space, format=fmt
    ).values_list("id", flat=True)[keep:]
    PublicationFailure.objects.filter(id__in=list(stale_failures)).delete()
