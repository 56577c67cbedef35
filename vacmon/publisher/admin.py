"""Admin pages: edit a space's CRR settings; read documents, targets and failures."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest

from vacmon.models import CrrSpaceSettings, CrrTarget, PublicationFailure, PublishedDocument
from vacmon.publisher import services
from vacmon.trust.admin import SiteScopedAdmin


class CrrSpaceSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CrrSpaceSettings
        fields = [
            "site",
            "space",
            "gocdb_site",
            "os",
            "status",
            "comment",
            "assigned_vos",
            "publish",
        ]

    def clean_assigned_vos(self) -> dict[str, list[str]]:
        try:
            return services.check_vo_overrides(self.cleaned_data["assigned_vos"] or {})
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(CrrSpaceSettings)
class CrrSpaceSettingsAdmin(SiteScopedAdmin):
    site_lookup = "site"
    form = CrrSpaceSettingsForm
    list_display = ["site", "space", "publish", "status", "os", "gocdb_site", "refused", "failing"]
    list_filter = ["publish", "status", "site"]
    search_fields = ["site", "space", "gocdb_site"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CrrSpaceSettings]:
        target = CrrTarget.objects.filter(site=OuterRef("site"), space=OuterRef("space"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                refused_count=Subquery(target.values("failure_count")[:1]),
                failing_count=Subquery(target.values("consecutive_failures")[:1]),
            )
        )

    @admin.display(description="refused documents", ordering="refused_count")
    def refused(self, obj: Any) -> int:
        return obj.refused_count or 0

    @admin.display(description="failing now", boolean=True)
    def failing(self, obj: Any) -> bool:
        return bool(obj.failing_count)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # site and space name the target; changing them would orphan its documents.
        return ["site", "space"] if obj is not None else []

    def save_model(
        self, request: HttpRequest, obj: CrrSpaceSettings, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)  # checks the site first
        services.settings_changed(obj.site, obj.space)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CrrTarget)
class CrrTargetAdmin(ReadOnlyAdmin):
    list_display = [
        "site",
        "space",
        "failure_count",
        "consecutive_failures",
        "last_success_at",
        "last_attempt_at",
        "last_error",
    ]
    list_filter = ["site"]


@admin.register(PublishedDocument)
class PublishedDocumentAdmin(ReadOnlyAdmin):
    list_display = ["site", "space", "format", "published_at", "valid", "current", "etag"]
    list_filter = ["valid", "current", "format", "site"]


@admin.register(PublicationFailure)
class PublicationFailureAdmin(ReadOnlyAdmin):
    list_display = ["site", "space", "format", "failed_at", "first_issue"]
    list_filter = ["format", "site"]

    @admin.display(description="first issue")
    def first_issue(self, obj: PublicationFailure) -> str:
        return obj.issues[0] if obj.issues else ""
