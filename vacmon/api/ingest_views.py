"""POST /api/v1/messages: HTTP ingest of status messages."""

from __future__ import annotations

import time

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vacmon.ingest.http import (
    OVERSIZE,
    BodyRefused,
    StoreUnavailable,
    count_rate_limited,
    ingest_body,
    refuse,
)
from vacmon.trust.http import authenticate_ingest
from vacmon.trust.ratelimit import limiter_from_settings

_limiter = limiter_from_settings("http")


class IngestItemSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["accepted", "rejected"])
    reason = serializers.CharField(required=False)
    error = serializers.CharField(required=False)
    field = serializers.CharField(required=False)


class IngestReportSerializer(serializers.Serializer):
    """The answer's shape, for the OpenAPI schema; the view builds it as plain data (a
    serializer per item cost more than parsing the item)."""

    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    items = IngestItemSerializer(many=True)


class MessagesView(APIView):
    parser_classes: list[type] = []

    @extend_schema(
        operation_id="ingest_messages",
        request={
            "application/json": {"type": "object"},
            "application/x-ndjson": {"type": "string"},
        },
        responses={
            202: IngestReportSerializer,
            400: OpenApiResponse(description="nothing in the body could be accepted"),
            401: OpenApiResponse(description="a token is required, or it is not valid"),
            403: OpenApiResponse(description="the token may not send for any site"),
            413: OpenApiResponse(description="the body is too large, or has too many items"),
            415: OpenApiResponse(description="the body is neither JSON nor NDJSON"),
            429: OpenApiResponse(description="too many requests from this address"),
            503: OpenApiResponse(description="the store is unavailable; send again later"),
        },
    )
    def post(self, request: Request) -> Response | HttpResponse:
        identity = authenticate_ingest(request)  # raises 401/403 itself
        source = request.META.get("REMOTE_ADDR", "?")
        if _limiter is not None and not _limiter.allow(source, time.time()):
            count_rate_limited()
            return Response(
                {"error": "too many requests from this address", "reason": "rate_limited"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        try:
            body = _body(request)
            report = ingest_body(body, request.content_type or "", source, identity=identity)
        except BodyRefused as exc:
            return Response({"error": exc.detail, "reason": exc.reason}, status=exc.status)
        except StoreUnavailable as exc:
            return Response(
                {"error": f"the store is unavailable: {exc}", "reason": "store_unavailable"},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "5"},
            )
        answer = status.HTTP_202_ACCEPTED
        if report.rejected and not (report.accepted or report.duplicates):
            answer = status.HTTP_400_BAD_REQUEST
        # Rendered here: the report holds only ints and strings, and orjson writes a
        # report of thousands of items in a fraction of the time DRF's renderer takes.
        return HttpResponse(
            orjson.dumps(report.as_dict()), content_type="application/json", status=answer
        )


def _body(request: Request) -> bytes:
    """The request body, refused (and counted) beyond VACMON_HTTP_MAX_BODY: by its declared
    length before a byte is read, else while Django reads it."""
    limit = settings.VACMON_HTTP_MAX_BODY
    too_large = f"the body is larger than {limit} bytes"
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise refuse(413, OVERSIZE, too_large)
    try:
        return request.body
    except RequestDataTooBig:
        raise refuse(413, OVERSIZE, too_large) from None
