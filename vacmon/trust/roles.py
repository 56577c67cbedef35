"""Who may do what on which site: the one rule behind the API, the admin and the pages.

Roles, strongest first: operator (every site, every role; a Django superuser or a JWT in
VACMON_OIDC_OPERATOR_GROUPS), then per site admin, sender and viewer. Each role includes
the ones after it, so an admin may also send and read. A site ingest token is a sender of
its one site. `is_staff` only says who may open the admin; it grants no site.

Every answer that names sites is `None` for "every site" (an operator) or a set of names.
"""

from __future__ import annotations

from typing import Any

from vacmon.models.registry import ROLE_ADMIN, ROLE_SENDER, ROLE_VIEWER, SiteMembership
from vacmon.trust.principals import BearerUser

MANAGE = (ROLE_ADMIN,)
SEND = (ROLE_ADMIN, ROLE_SENDER)
READ = (ROLE_ADMIN, ROLE_SENDER, ROLE_VIEWER)

_CACHE_ATTR = "_vacmon_role_sites"


def is_operator(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if isinstance(user, BearerUser):
        return user.oidc is not None and user.oidc.operator
    return bool(getattr(user, "is_superuser", False))


def sites_with(user: Any, roles: tuple[str, ...]) -> frozenset[str] | None:
    """The sites where `user` holds one of `roles`; None for an operator (every site)."""
    if is_operator(user):
        return None
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    # Cached on the user object, which lives for one request: one query per role set.
    cache: dict[tuple[str, ...], frozenset[str]] | None = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(user, _CACHE_ATTR, cache)
    if roles not in cache:
        cache[roles] = _lookup(user, roles)
    return cache[roles]


def _lookup(user: Any, roles: tuple[str, ...]) -> frozenset[str]:
    if isinstance(user, BearerUser):
        if user.oidc is not None:
            return user.oidc.sites_with(*roles)
        # A site token is its site's sender: it may send and read, never manage.
        ingest = user.ingest
        if ingest is None or ROLE_SENDER not in roles or ingest.sites is None:
            return frozenset()
        return ingest.sites
    if not user.pk:
        return frozenset()
    names = SiteMembership.objects.filter(user=user, role__in=roles).values_list(
        "site__name", flat=True
    )
    return frozenset(names)


def holds(user: Any, site: str, roles: tuple[str, ...]) -> bool:
    sites = sites_with(user, roles)
    return sites is None or site in sites


def may_manage(user: Any, site: str) -> bool:
    return holds(user, site, MANAGE)


def may_send(user: Any, site: str) -> bool:
    return holds(user, site, SEND)


def may_read(user: Any, site: str) -> bool:
    return holds(user, site, READ)
