"""OIDC bearer tokens (JWTs) from an IAM issuer: signature by the issuer's JWKS, iss, aud
and exp checked, and the groups claim mapped to VacMon roles.

Group mapping, with the defaults:
- any group in VACMON_OIDC_OPERATOR_GROUPS: operator (every site, every role);
- `<VACMON_OIDC_SITE_GROUP_PREFIX><site>/<role>`, e.g. `/vacmon/sites/UKI-X/admin`:
  that role (admin, sender or viewer) on that site.
Any valid token of the configured issuer and audience may read.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from vacmon.models.registry import ROLES

_ROLE_NAMES = frozenset(name for name, _ in ROLES)
_lock = threading.Lock()
_clients: dict[str, jwt.PyJWKClient] = {}
_discovered: dict[str, str] = {}


class JwtRefused(Exception):
    """A JWT that cannot be accepted; the message says why (never echoing the token)."""


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    audience: str
    jwks_url: str = ""
    groups_claim: str = "groups"
    operator_groups: frozenset[str] = frozenset()
    site_group_prefix: str = "/vacmon/sites/"
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    cache_seconds: int = 300
    timeout: float = 5.0
    leeway: int = 30


@dataclass(frozen=True)
class OidcIdentity:
    subject: str
    issuer: str
    operator: bool = False
    roles: dict[str, frozenset[str]] = field(default_factory=dict)  # site -> roles
    groups: tuple[str, ...] = ()

    def sites_with(self, *roles: str) -> frozenset[str]:
        return frozenset(site for site, held in self.roles.items() if held & set(roles))


def config() -> OidcConfig | None:
    """The OIDC settings, or None when VACMON_OIDC_ISSUER is unset (JWTs disabled)."""
    issuer = getattr(settings, "VACMON_OIDC_ISSUER", "")
    if not issuer:
        return None
    audience = getattr(settings, "VACMON_OIDC_AUDIENCE", "")
    if not audience:
        raise ImproperlyConfigured("VACMON_OIDC_AUDIENCE must be set with VACMON_OIDC_ISSUER")
    return OidcConfig(
        issuer=issuer,
        audience=audience,
        jwks_url=getattr(settings, "VACMON_OIDC_JWKS_URL", ""),
        groups_claim=getattr(settings, "VACMON_OIDC_GROUPS_CLAIM", "groups"),
        operator_groups=frozenset(getattr(settings, "VACMON_OIDC_OPERATOR_GROUPS", [])),
        site_group_prefix=getattr(settings, "VACMON_OIDC_SITE_GROUP_PREFIX", "/vacmon/sites/"),
        algorithms=tuple(getattr(settings, "VACMON_OIDC_ALGORITHMS", ["RS256", "ES256"])),
        cache_seconds=int(getattr(settings, "VACMON_OIDC_JWKS_CACHE_SECONDS", 300)),
    )


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


def validate(token: str, conf: OidcConfig) -> OidcIdentity:
    """Check a JWT and map its groups; raise JwtRefused with a short reason."""
    try:
        signing_key = jwks_client(conf).get_signing_key_from_jwt(token)
    except jwt.PyJWKClientConnectionError as exc:
        raise JwtRefused(f"the issuer's keys could not be fetched ({exc})") from None
    except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
        raise JwtRefused(f"no usable signing key: {exc}") from None
    try:
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=list(conf.algorithms),
            audience=conf.audience,
            issuer=conf.issuer,
            leeway=conf.leeway,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.InvalidTokenError as exc:
        raise JwtRefused(f"invalid token: {exc}") from None
    return identity_from_claims(claims, conf)


def identity_from_claims(claims: dict[str, Any], conf: OidcConfig) -> OidcIdentity:
    groups = _groups(claims.get(conf.groups_claim))
    roles: dict[str, set[str]] = {}
    prefix = conf.site_group_prefix
    for group in groups:
        if not group.startswith(prefix):
            continue
        site, _, role = group[len(prefix) :].rpartition("/")
        if site and role in _ROLE_NAMES:
            roles.setdefault(site, set()).add(role)
    return OidcIdentity(
        subject=str(claims["sub"]),
        issuer=str(claims["iss"]),
        operator=any(group in conf.operator_groups for group in groups),
        roles={site: frozenset(held) for site, held in roles.items()},
        groups=tuple(groups),
    )


def _groups(value: Any) -> list[str]:
    # IAM sends a list; some issuers send one space- or comma-separated string.
    if isinstance(value, str):
        return [g for g in value.replace(",", " ").split() if g]
    if isinstance(value, list):
        return [g for g in value if isinstance(g, str)]
    return []


def jwks_client(conf: OidcConfig) -> jwt.PyJWKClient:
    """One cached client per JWKS URL: it keeps the key set for `cache_seconds` and
    refetches (at most every 30 s) when a token names a key it does not know."""
    url = conf.jwks_url or discover_jwks_url(conf)
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = jwt.PyJWKClient(url, lifespan=conf.cache_seconds, timeout=conf.timeout)
            _clients[url] = client
    return client


def discover_jwks_url(conf: OidcConfig) -> str:
    with _lock:
        known = _discovered.get(conf.issuer)
    if known:
        return known
    url = conf.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        with urllib.request.urlopen(url, timeout=conf.timeout) as response:
            document = json.loads(response.read())
        jwks_uri = str(document["jwks_uri"])
    except Exception as exc:
        raise JwtRefused(f"OIDC discovery at {url} failed ({exc})") from None
    with _lock:
        _discovered[conf.issuer] = jwks_uri
    return jwks_uri


def reset_cache() -> None:
    """Forget cached key sets and discovery documents (tests, key rotation drills)."""
    with _lock:
        _clients.clear()
        _discovered.clear()
