"""POST /api/v1/messages: HTTP ingest of status messages."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from factories.messages import Rejected
from vacmon.ingest.http import StoreUnavailable, count_rate_limited, ingest_items, split_items
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
            413: OpenApiResponse(description="the body is too large"),
            429: OpenApiResponse(description="too many requests from this address"),
            503: OpenApiResponse(description="the store is unavailable; send again later"),
        },
    )
    def post(self, request: Request) -> Response:
        identity = authenticate_ingest(request)  # raises 401/403 itself
        source = request.META.get("REMOTE_ADDR", "?")
        if _limiter is not None and not _limiter.allow(source, time.time()):
            count_rate_limited()
            return Response(
                {"error": "too many requests from this address", "reason": "rate_limited"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        limit = settings.VACMON_HTTP_MAX_BODY
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            return _too_large(limit)
        try:
            body = request.body
        except RequestDataTooBig:
            return _too_large(limit)
        try:
            items = split_items(body, request.content_type or "")
        except Rejected as exc:
            return Response({"error": exc.detail, "reason": exc.reason}, status=400)
        if not items:
            return Response({"error": "the body holds no message", "reason": "empty"}, status=400)
        if len(items) > settings.VACMON_HTTP_MAX_ITEMS:
            return _too_large(limit, f"at most {settings.VACMON_HTTP_MAX_ITEMS} messages a request")
        try:
            report = ingest_items(items, source, identity=identity, body=body)
        except StoreUnavailable as exc:
            return Response(
                {"error": f"the store is unavailable: {exc}", "reason": "store_unavailable"},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "5"},
            )
        body_out = IngestReportSerializer(report).data
        if report.rejected and not (report.accepted or report.duplicates):
            return Response(body_out, status=status.HTTP_400_BAD_REQUEST)
        return Response(body_out, status=status.HTTP_202_ACCEPTED)


def _too_large(limit: int, why: str | None = None) -> Response:
    return Response(
        {"error": why or f"the body is larger than {limit} bytes", "reason": "oversize"},
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )
