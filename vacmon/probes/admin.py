"""Admin pages: probe definitions, endpoints and downtimes are edited here; results, daily
A/R and the outbox are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from probes.model import ProbeError
from vacmon.models import (
    Downtime,
    ProbeDefinition,
    ProbeEndpoint,
    ProbeMessage,
    ProbeResult,
    SiteAvailability,
)
from vacmon.probes.definitions import check_definition
from vacmon.trust.admin import SiteScopedAdmin
from vacmon.trust.roles import is_operator


class DefinitionForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ProbeDefinition
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        candidate = ProbeDefinition(**{k: v for k, v in cleaned.items() if k != "id"})
        try:
            check_definition(candidate)
        except ProbeError as error:
            raise forms.ValidationError(str(error)) from None
        return cleaned


class OperatorsOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Staff may look; only operators change rows that decide what the workers run."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_operator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request.user)


@admin.register(ProbeDefinition)
class DefinitionAdmin(OperatorsOnlyAdmin):
    form = DefinitionForm
    list_display = [
        "metric",
        "target_kind",
        "builtin",
        "executable",
        "interval",
        "critical",
        "enabled",
    ]
    list_filter = ["target_kind", "critical", "enabled"]
    search_fields = ["metric", "executable"]


@admin.register(ProbeEndpoint)
class EndpointAdmin(SiteScopedAdmin):
    site_lookup = "site"
    list_display = ["hostname", "flavour", "site", "enabled"]
    list_filter = ["flavour", "enabled"]
    search_fields = ["hostname", "site"]


@admin.register(Downtime)
class DowntimeAdmin(OperatorsOnlyAdmin):
    # A site admin enters downtimes of their endpoints through the API, which finds the
    # site from the endpoint; here they are for operators.
    list_display = ["hostname", "flavour", "start", "end", "classification"]
    list_filter = ["classification", "flavour"]
    search_fields = ["hostname", "description"]


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProbeResult)
class ResultAdmin(ReadOnlyAdmin):
    list_display = ["metric", "hostname", "flavour", "site", "status", "timestamp", "lateness"]
    list_filter = ["status", "flavour"]
    search_fields = ["metric", "hostname", "site"]


@admin.register(SiteAvailability)
class AvailabilityAdmin(ReadOnlyAdmin):
    list_display = ["site", "day", "availability", "reliability", "unknown", "downtime", "variant"]
    search_fields = ["site"]


@admin.register(ProbeMessage)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "format", "created_at", "claimed_at", "attempts", "last_error"]
    list_filter = ["format"]
