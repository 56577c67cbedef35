"""Serve stored CRR documents and the index of them. Nothing is built here.

Plain Django views rather than DRF: these answer CRIC's polling, carry no input beyond
the URL, and the cheaper request path is what keeps them fast.
"""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from publisher import CrrFormat
from vacmon.models.publisher import SITE_AGGREGATE
from vacmon.publisher.first import FIRST_PUBLICATION_SECONDS
from vacmon.publisher.inputs import heard
from vacmon.publisher.selectors import IndexEntry, index_entries, served_document
from vacmon.publisher.services import PERIOD_SECONDS, window_seconds
from vacmon.routes import path_to

FORMATS = tuple(f.value for f in CrrFormat)
DEFAULT_FORMAT = CrrFormat.CRR_1_5.value
# Consumers may cache for one regeneration period; a conditional GET revalidates cheaply.
CACHE_CONTROL = f"public, max-age={PERIOD_SECONDS}"


@require_safe
def space_document(request: HttpRequest, site: str, space: str) -> HttpResponse:
    return _serve(request, site, space)


@require_safe
def site_document(request: HttpRequest, site: str) -> HttpResponse:
    return _serve(request, site, SITE_AGGREGATE)


def _serve(request: HttpRequest, site: str, space: str) -> HttpResponse:
    fmt = request.GET.get("format", DEFAULT_FORMAT)
    if fmt not in FORMATS:
        return JsonResponse({"error": f"format must be one of {', '.join(FORMATS)}"}, status=400)
    served = served_document(site, space, fmt)
    if served is None:
        return _not_published(site, space)
    last_modified = int(served.published_at.timestamp())
    response = get_conditional_response(
        request, etag=served.etag, last_modified=last_modified
    ) or HttpResponse(served.body, content_type="application/json")
    response["ETag"] = served.etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = CACHE_CONTROL
    return response


def _not_published(site: str, space: str) -> JsonResponse:
    """404 with what to expect: a space heard in the window is about to get its first
    document (vacmon.publisher.first); one never heard gets one a minute after it reports."""
    aggregate = space == SITE_AGGREGATE
    since = int(time.time()) - window_seconds()
    if heard(site, None if aggregate else space, since=since):
        body = {
            "error": "no CRR document is published here yet",
            "detail": f"it is heard and its first document is due within "
            f"{FIRST_PUBLICATION_SECONDS} seconds, unless its publication is switched off",
            "retry_after_seconds": FIRST_PUBLICATION_SECONDS,
        }
        response = JsonResponse(body, status=404)
        response["Retry-After"] = str(FIRST_PUBLICATION_SECONDS)
        return response
    what = "site" if aggregate else "space"
    return JsonResponse(
        {
            "error": "no CRR document is published here",
            "detail": f"no factory of this {what} has reported in the last "
            f"{window_seconds()} seconds; a {what}'s first document is published within "
            f"{FIRST_PUBLICATION_SECONDS} seconds of its first factory_status",
        },
        status=404,
    )


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    entries = index_entries()
    wants_json = request.GET.get("format") == "json" or (
        request.get_preferred_type(["text/html", "application/json"]) == "application/json"
    )
    if wants_json:
        # A target whose names no URL can hold cannot be fetched, so CRIC is not told of it;
        # the HTML list still shows it.
        documents = [_entry_json(request, e) for e in entries if _path(e)]
        return JsonResponse({"documents": documents})
    rows = [{"entry": e, "cells": _cells(request, e)} for e in entries]
    return render(request, "publisher/index.html", {"rows": rows, "formats": FORMATS})


def _cells(request: HttpRequest, entry: IndexEntry) -> list[dict[str, Any]]:
    urls = _urls(request, entry)
    return [
        {"format": fmt, "url": urls[fmt], "published_at": entry.versions.get(fmt, (None, None))[1]}
        for fmt in FORMATS
    ]


def _path(entry: IndexEntry) -> str:
    if entry.space == SITE_AGGREGATE:
        return path_to("crr-site", entry.site)
    return path_to("crr-space", entry.site, entry.space)


def _urls(request: HttpRequest, entry: IndexEntry) -> dict[str, str]:
    path = _path(entry)
    if not path:
        return dict.fromkeys(FORMATS, "")
    base = request.build_absolute_uri(path)
    return {fmt: base if fmt == DEFAULT_FORMAT else f"{base}?format={fmt}" for fmt in FORMATS}


def _entry_json(request: HttpRequest, entry: IndexEntry) -> dict[str, Any]:
    urls = _urls(request, entry)
    return {
        "site": entry.site,
        "space": entry.space or None,
        "formats": {
            fmt: {"url": urls[fmt], "etag": etag, "published_at": int(at.timestamp())}
            for fmt, (etag, at) in sorted(entry.versions.items())
        },
        "failure_count": entry.failure_count,
        "consecutive_failures": entry.consecutive_failures,
        "last_error": entry.last_error or None,
        "last_success_at": (
            int(entry.last_success_at.timestamp()) if entry.last_success_at else None
        ),
    }
