"""Site ingest tokens: 32 random bytes shown once; only their sha256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from vacmon.models.registry import IngestToken, Site

PREFIX = "vmk_"
# last_used_at is a hint for operators, not an audit log: refresh it at most this often
# so a busy sender does not cost one UPDATE per request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class TokenRefused(Exception):
    """A bearer token that is unknown, revoked or expired; the message says which."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_site_token(token: str) -> bool:
    return token.startswith(PREFIX)


def issue_token(
    site: Site, name: str, *, created_by: Any = None, expires_at: Any = None
) -> tuple[IngestToken, str]:
    """Create a token; the returned plaintext is never stored and cannot be shown again."""
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = IngestToken.objects.create(
        site=site,
        name=name,
        token_hash=hash_token(plaintext),
        prefix=plaintext[: len(PREFIX) + 6],
        created_by=created_by if getattr(created_by, "pk", None) else None,
        expires_at=expires_at,
    )
    return token, plaintext


def revoke_token(token: IngestToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def check_token(plaintext: str) -> IngestToken:
    """The live token for `plaintext`, or TokenRefused."""
    token = (
        IngestToken.objects.select_related("site").filter(token_hash=hash_token(plaintext)).first()
    )
    if token is None:
        raise TokenRefused("unknown ingest token")
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused(f"ingest token {token.prefix}… was revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRefused(f"ingest token {token.prefix}… has expired")
    stale = now - LAST_USED_RESOLUTION
    # The row just read says whether a refresh is due: a token in steady use costs no
    # write, which on SQLite would wait for the one write lock. The UPDATE keeps its own
    # condition, so two requests at once still refresh it once.
    if token.last_used_at is None or token.last_used_at < stale:
        IngestToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=token.pk
        ).update(last_used_at=now)
    return token
