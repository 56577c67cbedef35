"""Bearer tokens and the anonymous-read rule for the pages outside DRF (the dashboard).

Goes after AuthenticationMiddleware. A valid bearer token replaces request.user; a bad one
is refused with 401. When VACMON_ANONYMOUS_READ is off, a reader without a session or a
token is sent to the admin login (pages) or answered 401 (everything else). The API,
admin, health, metrics, static files and the paths in VACMON_PUBLIC_PATHS are left alone:
DRF applies the same rules to the API itself.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse

from vacmon.trust.http import BearerRefused, authenticate_bearer

ALWAYS_PUBLIC = ("/admin/", "/static/", "/healthz", "/readyz", "/metrics", "/api/")


class BearerMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith("/api/"):
            return self.get_response(request)  # DRF authenticates the API itself
        try:
            user = authenticate_bearer(request)
        except BearerRefused as exc:
            response = JsonResponse({"error": str(exc.detail)}, status=401)
            response["WWW-Authenticate"] = 'Bearer realm="vacmon", error="invalid_token"'
            return response
        if user is not None:
            request.user = user  # type: ignore[assignment]
        if not _may_read(request, path):
            return _login_required(request)
        return self.get_response(request)


def _may_read(request: HttpRequest, path: str) -> bool:
    if getattr(settings, "VACMON_ANONYMOUS_READ", True):
        return True
    public = ALWAYS_PUBLIC + tuple(getattr(settings, "VACMON_PUBLIC_PATHS", ()))
    if path.startswith(public):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _login_required(request: HttpRequest) -> HttpResponse:
    if "text/html" in request.META.get("HTTP_ACCEPT", ""):
        return HttpResponseRedirect("/admin/login/?next=" + quote(request.get_full_path()))
    response = JsonResponse({"error": "reading needs authentication"}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="vacmon"'
    return response
