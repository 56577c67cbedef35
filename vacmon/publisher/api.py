"""CRR settings API: read the spaces' settings; an admin of the site (or an operator)
changes one space's.

Changing settings republishes the space and its site at once (`services.update_settings`).
Who may read and write follows vacmon.trust.permissions, as for every site-scoped object.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from publisher import STATUS_CHOICES
from vacmon.api.pagination import PAGE_PARAMS, page_schema, paginate_items
from vacmon.models import CrrSpaceSettings
from vacmon.publisher import services
from vacmon.trust.drf import BearerAuthentication
from vacmon.trust.permissions import SiteAdminWrites, readable


class SettingsOutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    site = serializers.CharField()
    space = serializers.CharField()
    gocdb_site = serializers.CharField()
    os = serializers.CharField()
    status = serializers.CharField()
    comment = serializers.CharField()
    assigned_vos = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    publish = serializers.BooleanField()
    updated_at = serializers.DateTimeField()


class SettingsInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    # Blank gocdb_site publishes the site name the factories send.
    gocdb_site = serializers.CharField(max_length=255, allow_blank=True, required=False)
    os = serializers.CharField(max_length=255, required=False)
    status = serializers.ChoiceField(choices=STATUS_CHOICES, required=False)
    comment = serializers.CharField(max_length=1024, allow_blank=True, required=False)
    assigned_vos = serializers.JSONField(required=False)
    publish = serializers.BooleanField(required=False)

    def validate_gocdb_site(self, value: str) -> str:
        # CRR's `site` pattern is a single line; a newline would make every document fail.
        if "\n" in value or "\r" in value:
            raise serializers.ValidationError("must be a single line")
        return value.strip()

    def validate_assigned_vos(self, value: object) -> dict[str, list[str]]:
        try:
            return services.check_vo_overrides(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class _SettingsApi(APIView):
    authentication_classes = [BearerAuthentication, SessionAuthentication, BasicAuthentication]
    permission_classes = [SiteAdminWrites]

    def site_of(self, obj: str) -> str:
        return obj


class SettingsListApi(_SettingsApi):
    @extend_schema(
        responses=page_schema("SettingsPage", SettingsOutputSerializer(many=True)),
        parameters=PAGE_PARAMS,
    )
    def get(self, request: Request) -> Response:
        rows = readable(CrrSpaceSettings.objects.all(), request.user)
        data = SettingsOutputSerializer(rows, many=True).data
        return Response(paginate_items(request, data, lambda row: [row["site"], row["space"]]))


class SettingsDetailApi(_SettingsApi):
    @extend_schema(responses=SettingsOutputSerializer)
    def get(self, request: Request, site: str, space: str) -> Response:
        self.check_object_permissions(request, site)
        row = CrrSpaceSettings.objects.filter(site=site, space=space).first()
        if row is None:
            raise Http404("no settings for this space")
        return Response(SettingsOutputSerializer(row).data)

    @extend_schema(request=SettingsInputSerializer, responses=SettingsOutputSerializer)
    def put(self, request: Request, site: str, space: str) -> Response:
        """Create or replace: fields left out take their defaults."""
        self.check_object_permissions(request, site)
        values = self._valid(request, partial=False)
        defaults = _defaults()
        row = services.update_settings(site, space, {**defaults, **values})
        return Response(SettingsOutputSerializer(row).data, status=status.HTTP_200_OK)

    @extend_schema(request=SettingsInputSerializer, responses=SettingsOutputSerializer)
    def patch(self, request: Request, site: str, space: str) -> Response:
        """Change only the fields given."""
        self.check_object_permissions(request, site)
        values = self._valid(request, partial=True)
        row = services.update_settings(site, space, values)
        return Response(SettingsOutputSerializer(row).data)

    def _valid(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = SettingsInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


def _defaults() -> dict[str, Any]:
    fields = ("gocdb_site", "os", "status", "comment", "assigned_vos", "publish")
    return {name: CrrSpaceSettings._meta.get_field(name).get_default() for name in fields}
