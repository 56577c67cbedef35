"""DRF permissions over vacmon.trust.roles: the one read gate and the per-object write rule.

A view scoped by site says how to find an object's site with `site_of(obj)`; the rule is
then the same everywhere (and in the admin, vacmon.trust.admin.SiteScopedAdmin):

- reading: open while VACMON_ANONYMOUS_READ is on, else a viewer (or more) of that site;
- writing: an admin of that site, or an operator. An object with no site (a downtime of
  an endpoint nobody registered) is written by operators only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from vacmon.trust import roles


def reading_is_open() -> bool:
    return bool(getattr(settings, "VACMON_ANONYMOUS_READ", True))


def authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def readable_sites(user: Any) -> frozenset[str] | None:
    """The sites this caller may read; None for every site (open reading, or an operator)."""
    if reading_is_open():
        return None
    return roles.sites_with(user, roles.READ)


def may_read_site(user: Any, site: str | None) -> bool:
    sites = readable_sites(user)
    return sites is None or (site is not None and site in sites)


def readable(queryset: QuerySet[Any], user: Any, field: str = "site") -> QuerySet[Any]:
    """The rows of `queryset` whose `field` names a site this caller may read."""
    sites = readable_sites(user)
    return queryset if sites is None else queryset.filter(**{f"{field}__in": sites})


def readable_items(items: Iterable[Any], user: Any, site: Any) -> list[Any]:
    """The items (store answers) whose `site(item)` this caller may read."""
    sites = readable_sites(user)
    return list(items) if sites is None else [i for i in items if site(i) in sites]


def check_manage(user: Any, site: str | None) -> None:
    """PermissionDenied unless `user` may write objects of `site`."""
    if roles.is_operator(user):
        return
    if site is None:
        raise PermissionDenied("only an operator may change this")
    if not roles.may_manage(user, site):
        raise PermissionDenied(f"only an admin of site {site} or an operator may change this")


class ReadGate(BasePermission):
    """Reads: open, or a caller with a role; a view with a `site` URL argument needs a
    role on that site. Writes are left to the view's own permission (or its own check)."""

    message = "reading needs a viewer role (VACMON_ANONYMOUS_READ is off)"

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method not in SAFE_METHODS or reading_is_open():
            return True
        if not authenticated(request.user):
            return False
        site = getattr(view, "kwargs", {}).get("site")
        return site is None or may_read_site(request.user, site)


class SiteAdminWrites(ReadGate):
    """Writes need an authenticated caller here and a manager of the object's site in
    has_object_permission (and in the view's create, via check_manage)."""

    message = "changing this needs an admin of its site, or an operator"

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return super().has_permission(request, view)
        return authenticated(request.user)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        site = view.site_of(obj)
        if request.method in SAFE_METHODS:
            return may_read_site(request.user, site)
        check_manage(request.user, site)
        return True


class OperatorWrites(ReadGate):
    """Reads through the read gate; every write is for operators only."""

    message = "only an operator may change this"

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return super().has_permission(request, view)
        return roles.is_operator(request.user)


class SiteScopedWrites:
    """Mixin of generic API views over site-scoped rows: reads filtered to the caller's
    sites, and a create or change checked against the site the row would have afterwards,
    so nobody moves an object into a site they do not manage."""

    permission_classes = [SiteAdminWrites]
    site_field = "site"
    request: Request

    def site_of(self, obj: Any) -> str | None:
        return self.site_of_values({self.site_field: getattr(obj, self.site_field)})

    def site_of_values(self, values: dict[str, Any]) -> str | None:
        return values.get(self.site_field) or None

    def filter_readable(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return readable(queryset, self.request.user, self.site_field)

    def perform_create(self, serializer: Any) -> None:
        check_manage(self.request.user, self.site_of_values(dict(serializer.validated_data)))
        serializer.save()

    def perform_update(self, serializer: Any) -> None:
        current = {name: getattr(serializer.instance, name) for name in serializer.fields}
        after = {**current, **serializer.validated_data}
        check_manage(self.request.user, self.site_of_values(after))
        serializer.save()
