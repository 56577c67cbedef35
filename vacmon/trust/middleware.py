"""Bearer tokens and the anonymous-read rule for the pages outside DRF (the dashboard).

Goes after AuthenticationMiddleware. A valid bearer token replaces request.user; a bad one
is refused with 401. When VACMON_ANONYMOUS_READ is off, a reader without a session or a
token is sent to the admin login (pages) or answered 401 (everything else); a page of one
site needs a role on that site (vacmon.trust.permissions), and a page summing the whole
fleet needs a role on every site (an operator; the overview leads others to their site). The API,
admin, health, metrics, static files and the paths in VACMON_PUBLIC_PATHS are left alone:
DRF applies the same rules to the API itself.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse

from vacmon.trust.http import BearerRefused, authenticate_bearer
from vacmon.trust.permissions import may_read_site, readable_sites

ALWAYS_PUBLIC = ("/admin/", "/static/", "/healthz", "/readyz", "/metrics", "/api/")
# Dashboard pages whose charts and totals sum every site (route names).
FLEET_PAGES = frozenset({"overview", "search", "vos", "vo", "machines", "accounting-index"})


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
            return _refused(request)
        return self.get_response(request)


def _not_yours(request: HttpRequest, user: object) -> HttpResponse:
    """403, except that the overview leads a reader of some sites to the first of them."""
    sites = sorted(readable_sites(user) or ())
    if request.path_info == "/" and sites:
        return HttpResponseRedirect(reverse("dashboard:site", args=[sites[0]]))
    return JsonResponse(
        {"error": "reading this needs a viewer role on the site it shows", "your_sites": sites},
        status=403,
    )


def _may_read(request: HttpRequest, path: str) -> bool:
    if getattr(settings, "VACMON_ANONYMOUS_READ", True):
        return True
    public = ALWAYS_PUBLIC + tuple(getattr(settings, "VACMON_PUBLIC_PATHS", ()))
    if path.startswith(public):
        return True
    user = getattr(request, "user", None)
    if not (user is not None and user.is_authenticated):
        return False
    try:
        match = resolve(path)
    except Resolver404:
        return True  # the view answers 404 itself
    # A page of one site (/sites/<site>/…, /machines/?site=) needs a role on that site.
    site = match.kwargs.get("site") or request.GET.get("site")
    if site:
        return may_read_site(user, site)
    # Pages that sum the whole fleet cannot leave other sites out: every site's reader only.
    return match.url_name not in FLEET_PAGES or readable_sites(user) is None


def _refused(request: HttpRequest) -> HttpResponse:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return _not_yours(request, user)
    if "text/html" in request.META.get("HTTP_ACCEPT", ""):
        return HttpResponseRedirect("/admin/login/?next=" + quote(request.get_full_path()))
    response = JsonResponse({"error": "reading needs authentication"}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="vacmon"'
    return response
