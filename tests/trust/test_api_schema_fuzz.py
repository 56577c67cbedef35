"""Schemathesis against the OpenAPI schema at /api/schema/, through the WSGI app: every
operation, a bounded number of generated requests each.

By default the run requires what a hostile client must never get: a server error, a
response whose body or content type contradicts the schema. SCHEMATHESIS_ALL_CHECKS=1
adds every other default check (documented status codes, schema-valid requests accepted,
authentication), which also grades how complete the schema's documentation is.
"""

from __future__ import annotations

import base64
import os

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
)

from vacmon.models import Site
from vacmon.trust.tokens import issue_token

# Django's WSGI handler, not vacmon.wsgi, which refuses to start on the test settings'
# development key (vacmon.ops.insecure).
application = get_wsgi_application()

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
ROBUSTNESS = [
    not_a_server_error,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    # Calling the WSGI app directly would close the test transaction's connection after
    # each request; Django's test client disconnects these handlers the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def operations():
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_schema_describes_the_api_and_its_bearer_authentication():
    found = {(op.method.upper(), op.path): op for op in operations()}
    assert ("POST", "/api/v1/messages") in found and ("GET", "/api/v1/sites/") in found
    security = found[("GET", "/api/v1/sites/")].definition.raw["security"]
    assert {"bearer": []} in security and {} in security


def sender_token() -> dict[str, str]:
    _, token = issue_token(Site.objects.create(name="SCHEMA-FUZZ"), "schemathesis")
    return {"Authorization": f"Bearer {token}"}


def operator_login() -> dict[str, str]:
    # An operator passes every permission, so generated writes reach the serializers.
    User.objects.create_superuser("fuzz-operator", password="fuzz-password")
    basic = base64.b64encode(b"fuzz-operator:fuzz-password").decode()
    return {"Authorization": f"Basic {basic}"}


@pytest.mark.parametrize("credentials", [sender_token, operator_login])
def test_every_operation_survives_generated_requests(credentials):
    headers = credentials()
    checks = None if os.environ.get("SCHEMATHESIS_ALL_CHECKS") else ROBUSTNESS
    failures = []
    for operation in operations():

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(headers=headers, checks=checks)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
