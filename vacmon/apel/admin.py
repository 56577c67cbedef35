"""Admin for APEL forwarding: per-site choices (site admins see their own sites) and a
read-only view of the batches, for operators."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vacmon.models import ApelBatch, ApelSiteSettings
from vacmon.trust.admin import SiteScopedAdmin


@admin.register(ApelSiteSettings)
class ApelSiteSettingsAdmin(SiteScopedAdmin):
    site_lookup = "site"
    list_display = ("site", "mode", "enabled", "updated_at")
    list_filter = ("mode", "enabled")
    search_fields = ("site",)


@admin.register(ApelBatch)
class ApelBatchAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "header", "record_count", "created_at", "attempts", "sent_at")
    list_filter = ("header",)
    search_fields = ("id", "last_error")
    readonly_fields = [f.name for f in ApelBatch._meta.fields]

    # Batches are immutable by contract: their id is the empa-id of a resend.
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
