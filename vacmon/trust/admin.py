"""Django admin for the registry: operators (superusers) see everything; a site admin (a
staff user with an `admin` SiteMembership) sees and manages only their own sites. The
rule is vacmon.trust.roles, the same the API's permissions use.

Other admins scoped by site (CRR settings, downtimes) can reuse SiteScopedAdmin by naming
the lookup from their model to the site name in `site_lookup`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from vacmon.models.ingest import NameBudgetRefusal
from vacmon.models.registry import (
    Factory,
    IngestToken,
    SigningKey,
    Site,
    SiteMembership,
    SiteNetwork,
    Space,
)
from vacmon.trust import roles
from vacmon.trust.tokens import issue_token, revoke_token


class SiteScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    site_lookup = "site__name"  # from the model to the site's name
    site_admin_may_add = True

    def managed_sites(self, request: HttpRequest) -> frozenset[str] | None:
        """None for an operator (every site); else the sites this user administers. The
        API asks the same question (vacmon.trust.roles), so both hold the same rule."""
        return roles.sites_with(request.user, roles.MANAGE)

    def site_name_of(self, obj: Any) -> str:
        value = obj
        for part in self.site_lookup.split("__"):
            value = getattr(value, part)
        return str(value)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        sites = self.managed_sites(request)
        return qs if sites is None else qs.filter(**{f"{self.site_lookup}__in": sites})

    def _allowed(self, request: HttpRequest, obj: Any) -> bool:
        sites = self.managed_sites(request)
        if sites is None:
            return True
        return bool(sites) and (obj is None or self.site_name_of(obj) in sites)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request, None)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        if roles.is_operator(request.user):
            return True
        return self.site_admin_may_add and self._allowed(request, None)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Sites named by a plain field (not a filtered choice) are checked here.
        if not self._allowed(request, obj):
            raise PermissionDenied(f"you do not administer site {self.site_name_of(obj)}")
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        sites = self.managed_sites(request)
        if sites is not None and db_field.related_model is Site:
            kwargs["queryset"] = Site.objects.filter(name__in=sites)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class NetworkInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SiteNetwork
    extra = 0


class KeyInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SigningKey
    extra = 0
    fields = ("key_id", "secret", "active", "created_at")
    readonly_fields = ("created_at",)


class SpaceInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Space
    extra = 0


@admin.register(Site)
class SiteAdmin(SiteScopedAdmin):
    site_lookup = "name"
    site_admin_may_add = False  # operators create sites and appoint their admins
    list_display = ("name", "udp_policy", "crr_trusted_only", "created_at")
    list_filter = ("udp_policy",)
    search_fields = ("name",)
    inlines = [SpaceInline, NetworkInline, KeyInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        shown = ("name_budget",)
        return shown if request.user.is_superuser else ("name", *shown)

    @admin.display(description="refused over the name budget")
    def name_budget(self, obj: Site) -> str:
        """Messages naming this site that their source's VACMON_NAME_BUDGET refused."""
        rows = NameBudgetRefusal.objects.filter(site=obj.name).order_by("-last_refused_at")[:20]
        lines = [
            f"{row.source}: {row.refused} refused, last at {row.last_refused_at:%Y-%m-%d %H:%M} UTC"
            for row in rows
        ]
        return "\n".join(lines) or "none"


@admin.register(Factory)
class FactoryAdmin(SiteScopedAdmin):
    site_lookup = "space__site__name"
    list_display = ("name", "space", "comment")
    search_fields = ("name", "space__name", "space__site__name")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        sites = self.managed_sites(request)
        if sites is not None and db_field.name == "space":
            kwargs["queryset"] = Space.objects.filter(site__name__in=sites)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(IngestToken)
class IngestTokenAdmin(SiteScopedAdmin):
    list_display = ("site", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("site",)
    readonly_fields = ("prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    fields = ("site", "name", "expires_at", *readonly_fields)
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, plaintext = issue_token(
            obj.site, obj.name, created_by=request.user, expires_at=obj.expires_at
        )
        obj.pk = token.pk
        obj.refresh_from_db()
        messages.warning(
            request, f"The new token is {plaintext} . Copy it now: it will not be shown again."
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[IngestToken]) -> None:
        for token in queryset:
            revoke_token(token)
        self.message_user(request, f"{queryset.count()} token(s) revoked.")


@admin.register(SiteMembership)
class SiteMembershipAdmin(SiteScopedAdmin):
    list_display = ("site", "user", "role")
    list_filter = ("role", "site")

    # A site admin may see who else works on the site; only operators grant roles.
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(NameBudgetRefusal)
class NameBudgetRefusalAdmin(SiteScopedAdmin):
    site_lookup = "site"
    list_display = ("site", "source", "refused", "first_refused_at", "last_refused_at")
    search_fields = ("site", "source")
    site_admin_may_add = False

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
