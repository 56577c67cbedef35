"""/accounting/: the APEL forwarding status as a page (the same figures as the API)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from vacmon.apel import selectors


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    context = selectors.status(timezone.now())
    context["crumbs"] = [("Accounting", None)]
    return render(request, "apel/index.html", context)
