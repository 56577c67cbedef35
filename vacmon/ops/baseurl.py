"""VACMON_BASE_URL: every absolute URL the service writes names this host and scheme.

Django builds absolute URLs (request.build_absolute_uri, DRF's `next` links) from the
Host header, which a client chooses. With a base URL set, the header is replaced before
any view runs, so no page or link can carry a host the operator did not name.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse


class BaseUrlMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.scheme, self.host = _parse(settings.VACMON_BASE_URL)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.host:
            request.META["HTTP_HOST"] = self.host
            request.META["wsgi.url_scheme"] = self.scheme
            request.META.pop("HTTP_X_FORWARDED_HOST", None)
        return self.get_response(request)


def _parse(base_url: str) -> tuple[str, str]:
    if not base_url:
        return "", ""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
        raise ImproperlyConfigured(
            f"VACMON_BASE_URL must be scheme://host[:port], got {base_url!r}"
        )
    return parts.scheme, parts.netloc
