"""Refuse NUL characters in a request's path and query with a 400.

PostgreSQL text cannot hold NUL: a `?site=%00` that reaches a query raises inside the
driver and would answer 500. No name VacMon stores can contain one (factories send JSON
strings that become database text), so such a request can only be refused.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse


class NulGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or "\x00" in value
            for key, values in request.GET.lists()
            for value in values
        ):
            return JsonResponse(
                {"error": "the request's path or query holds a NUL character", "reason": "nul"},
                status=400,
            )
        return self.get_response(request)
