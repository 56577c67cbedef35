"""Quarantined messages in the admin: read-only, scoped to the sites a user administers
(operators see them all). The site is only what the message claimed, so a site admin may
see a stranger's message naming their site, never one naming another."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vacmon.models import QuarantinedMessage
from vacmon.trust.admin import SiteScopedAdmin


@admin.register(QuarantinedMessage)
class QuarantinedMessageAdmin(SiteScopedAdmin):
    site_lookup = "site"
    site_admin_may_add = False
    list_display = ("received_at", "channel", "source", "reason", "site", "space", "factory")
    list_filter = ("channel", "reason", "message_type")
    search_fields = ("site", "space", "factory", "source")
    readonly_fields = (
        "received_at",
        "channel",
        "source",
        "reason",
        "detail",
        "message_type",
        "site",
        "space",
        "factory",
        "raw_text",
    )
    exclude = ("raw",)

    @admin.display(description="raw bytes (as UTF-8, undecodable bytes replaced)")
    def raw_text(self, obj: QuarantinedMessage) -> str:
        return bytes(obj.raw)[:65536].decode("utf-8", "replace")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)  # only operators clear the quarantine
