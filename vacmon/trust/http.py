"""Bearer authentication for HTTP ingest, the API and the dashboard.

`Authorization: Bearer <token>` carries either a site ingest token (`vmk_…`, checked
against its stored sha256) or an OIDC JWT (checked against the issuer's JWKS). The result
is cached on the request, so the DRF authentication class, the middleware and the ingest
view never validate one token twice.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, PermissionDenied

from vacmon.models.registry import ROLE_ADMIN, ROLE_SENDER
from vacmon.trust import oidc, tokens
from vacmon.trust.principals import BearerUser, IngestIdentity
from vacmon.trust.registry import AnonymousPolicy

_CACHE_ATTR = "_vacmon_bearer"
_NONE = object()


class BearerRefused(AuthenticationFailed):
    """401 with a reason: malformed header, unknown, revoked or expired token, bad JWT."""


def bearer_token(request: Any) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise BearerRefused("use the header Authorization: Bearer <token>")
    return token


def authenticate_bearer(request: Any) -> BearerUser | None:
    """The caller named by the Authorization header, None without one, or BearerRefused."""
    django_request = getattr(request, "_request", request)
    cached = getattr(django_request, _CACHE_ATTR, _NONE)
    if cached is not _NONE:
        return cached  # type: ignore[return-value]
    token = bearer_token(request)
    user = None if token is None else _user_for(token)
    setattr(django_request, _CACHE_ATTR, user)
    return user


def _user_for(token: str) -> BearerUser:
    if tokens.looks_like_site_token(token):
        try:
            row = tokens.check_token(token)
        except tokens.TokenRefused as exc:
            raise BearerRefused(str(exc)) from None
        subject = f"{row.name} ({row.prefix}…)"
        identity = IngestIdentity("token", subject, frozenset({row.site.name}))
        return BearerUser(f"token:{row.site.name}:{row.name}", identity)
    conf = oidc.config()
    if conf is None or not oidc.looks_like_jwt(token):
        raise BearerRefused("unknown bearer token")
    try:
        who = oidc.validate(token, conf)
    except oidc.JwtRefused as exc:
        raise BearerRefused(str(exc)) from None
    sites = None if who.operator else who.sites_with(ROLE_ADMIN, ROLE_SENDER)
    return BearerUser(f"oidc:{who.subject}", IngestIdentity("jwt", who.subject, sites), who)


def authenticate_ingest(request: Any) -> IngestIdentity | None:
    """Who sends this HTTP ingest request.

    None: no credentials and VACMON_HTTP_INGEST_AUTH is off (legacy, untrusted data).
    Raises NotAuthenticated (401) when credentials are required but missing, BearerRefused
    (401) for a bad, unknown, revoked or expired token, and PermissionDenied (403) for a
    valid JWT that grants no site.
    """
    user = authenticate_bearer(request)
    if user is None:
        if getattr(settings, "VACMON_HTTP_INGEST_AUTH", False):
            raise NotAuthenticated("HTTP ingest needs Authorization: Bearer <token>")
        return None
    identity = user.ingest
    if identity is None or (identity.sites is not None and not identity.sites):
        raise PermissionDenied("this token may not send data for any site")
    return identity


def check_ingest_site(identity: IngestIdentity | None, message_site: str) -> bool:
    """Whether a message for `message_site` may be accepted from this caller."""
    if identity is None:
        return not getattr(settings, "VACMON_HTTP_INGEST_AUTH", False)
    return identity.may_send_for(message_site)


_APEL_SITE = re.compile(r"^Site:[ \t]*(.*?)[ \t]*$", re.MULTILINE)


def anonymous_uploader(text: str) -> IngestIdentity:
    """The identity of an APEL upload without credentials: it may send only for the open
    sites its records name. A record whose site is missed here is refused, never let by."""
    named = set(_APEL_SITE.findall(text))
    policy = AnonymousPolicy.load()
    return IngestIdentity("anonymous", "-", frozenset(s for s in named if not policy.refuses(s)))
