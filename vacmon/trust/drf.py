"""The bearer authentication and the read-access rule for DRF views.

settings.REST_FRAMEWORK:
    "DEFAULT_AUTHENTICATION_CLASSES": ["vacmon.trust.drf.BearerAuthentication",
                                       "rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["vacmon.trust.drf.ReadAccess"],
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from vacmon.trust.http import authenticate_bearer
from vacmon.trust.permissions import ReadGate
from vacmon.trust.principals import BearerUser


class BearerAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[BearerUser, None] | None:
        user = authenticate_bearer(request)
        return None if user is None else (user, None)

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) with a challenge when credentials are missing.
        return 'Bearer realm="vacmon"'


# The default permission of every API view; vacmon.trust.permissions says what it checks.
ReadAccess = ReadGate


class BearerScheme(OpenApiAuthenticationExtension):  # type: ignore[misc]
    """Describes the bearer authentication in the OpenAPI schema."""

    target_class = "vacmon.trust.drf.BearerAuthentication"
    name = "bearer"

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[str]]]:
        # Views guarded only by ReadAccess serve anonymous readers (VACMON_ANONYMOUS_READ)
        # and let writes through to a view that authenticates itself (HTTP ingest):
        # say so with an empty requirement, which OpenAPI reads as "no credentials".
        required = [{self.name: []}]
        permissions = auto_schema.view.get_permissions()
        if auto_schema.method in SAFE_METHODS:
            optional = getattr(settings, "VACMON_ANONYMOUS_READ", True)
        elif not all(type(p) is ReadGate for p in permissions):
            return required
        else:
            optional = not getattr(settings, "VACMON_HTTP_INGEST_AUTH", False)
        return [*required, {}] if optional else required

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "a site ingest token (vmk_…) or an OIDC access token (JWT)",
        }
