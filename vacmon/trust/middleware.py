"""Bearer tokens and the anonymous-read rule for the pages outside DRF (the dashboard).

Goes after AuthenticationMiddleware. A valid bearer token replaces request.user; a bad one
is refused with 401. When VACMON_ANONYMOUS_READ is off, a reader without a session or a
token is sent to the admin login (pages) or answered 401 (everything else), and a page of
one site needs a role on that site (vacmon.trust.permissions). The API,
admin, health, metrics, static files and the paths in VACMON_PUBLIC_PATHS are left alone:
DRF applies the same rules to the API itself.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve

from vacmon.trust.http import BearerRefused, authenticate_bearer
from vacmon.trust.permissions import may_read_site

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
    if not (user is not None and user.is_authenticated):
        return False
    # A page of one site (/sites/<site>/…, /probes/ar/<site>/) needs a role on that site.
    try:
        site = resolve(path).kwargs.get("site")
    except Resolver404:
        return True  # the view answers 404 itself
    return site is None or may_read_site(user, site)


def _login_required(request: HttpRequest) -> HttpResponse:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return JsonResponse({"error": "reading this site needs a viewer role on it"}, status=403)
    if "text/html" in request.META.get("HTTP_ACCEPT", ""):
        return HttpResponseRedirect("/admin/login/?next=" + quote(request.get_full_path()))
    response = JsonResponse({"error": "reading needs authentication"}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="vacmon"'
    return response
