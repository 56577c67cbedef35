"""POST /api/v1/apel/messages (upload APEL text) and GET /api/v1/apel/status."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vacmon.apel import selectors, services
from vacmon.queryparams import whole_number
from vacmon.store.faults import describe, is_transient
from vacmon.trust.drf import BearerAuthentication
from vacmon.trust.http import anonymous_uploader, authenticate_ingest

log = logging.getLogger(__name__)


class RecordErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    index = serializers.IntegerField(help_text="0-based position of the record")
    line = serializers.IntegerField(help_text="1-based line where the record starts")
    message = serializers.CharField(help_text="the APEL loader's own text")
    hint = serializers.CharField(allow_null=True)


class UploadReportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    errors = RecordErrorSerializer(many=True)
    message_error = serializers.CharField(allow_null=True)


class MessagesApi(APIView):
    """Site token auth (vacmon.trust): records are kept only for the sites the token may
    send for. Without a token only while VACMON_APEL_UPLOAD_AUTH and
    VACMON_HTTP_INGEST_AUTH are both off, and then never for a signed or networks site.
    The body is one APEL message as the site's client writes it."""

    authentication_classes = [BearerAuthentication]  # keeps a bad token a 401
    parser_classes: list[type] = []

    @extend_schema(
        operation_id="apel_upload",
        request={"text/plain": {"type": "string"}},
        responses={
            202: UploadReportSerializer,
            400: OpenApiResponse(UploadReportSerializer, description="nothing could be kept"),
            401: OpenApiResponse(description="a sender token is required, or it is not valid"),
            403: OpenApiResponse(description="the token may not send for any site"),
            413: OpenApiResponse(description="the body is too large"),
            503: OpenApiResponse(description="the database is unavailable; send again later"),
        },
    )
    def post(self, request: Request) -> Response:
        identity = authenticate_ingest(request)
        if identity is None and settings.VACMON_APEL_UPLOAD_AUTH:
            raise NotAuthenticated(
                "APEL uploads need Authorization: Bearer <a sender token of the site>"
            )
        limit = settings.VACMON_HTTP_MAX_BODY
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            if declared.isascii() and declared.isdigit() and int(declared) > limit:
                raise RequestDataTooBig
            body = request.body
        except RequestDataTooBig:
            return Response({"error": f"the body is larger than {limit} bytes"}, status=413)
        # Non-ASCII survives decoding as U+FFFD, so the parser refuses just those records.
        text = body.decode("utf-8", errors="replace")
        if identity is None:
            identity = anonymous_uploader(text)
        try:
            report = services.accept_message(text, identity, timezone.now())
        except (InterfaceError, OperationalError) as error:
            if not is_transient(error):
                raise
            # Nothing was kept: the client sends the same message again, as after a 5xx.
            log.warning("APEL upload not stored, the database refused: %s", describe(error))
            return Response(
                {"error": f"the database is unavailable: {describe(error, 200)}"},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "5"},
            )
        data = UploadReportSerializer(report).data
        kept = report.accepted or report.duplicates
        code = status.HTTP_202_ACCEPTED if kept or not report.rejected else 400
        if report.message_error is not None:
            code = status.HTTP_400_BAD_REQUEST
        return Response(data, status=code)


class StatusApi(APIView):
    @extend_schema(operation_id="apel_status", responses={200: {"type": "object"}})
    def get(self, request: Request) -> Response:
        months = whole_number(request.query_params, "months", 12, 1, 120)
        body: dict[str, Any] = selectors.status(timezone.now(), months)
        return Response(body)
