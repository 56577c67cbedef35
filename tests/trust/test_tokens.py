from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from vacmon.models import IngestToken, Site
from vacmon.trust.tokens import TokenRefused, check_token, hash_token, issue_token, revoke_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def site() -> Site:
    return Site.objects.create(name="UKI-SCOTGRID-GLASGOW")


def test_a_new_token_is_stored_only_as_its_sha256(site):
    token, plaintext = issue_token(site, "factory01")
    stored = IngestToken.objects.get(pk=token.pk)
    assert stored.token_hash == hash_token(plaintext) != plaintext
    assert plaintext not in {stored.token_hash, stored.prefix, stored.name}
    assert plaintext.startswith(stored.prefix)


def test_tokens_carry_32_random_bytes(site):
    _, first = issue_token(site, "a")
    _, second = issue_token(site, "b")
    assert first != second
    assert len(first) == len("vmk_") + 43  # base64url of 32 bytes, unpadded


def test_a_valid_token_is_accepted_and_its_last_use_recorded(site):
    token, plaintext = issue_token(site, "factory01")
    assert check_token(plaintext).pk == token.pk
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_use_is_refreshed_at_most_once_a_minute(site):
    token, plaintext = issue_token(site, "factory01")
    with time_machine.travel("2026-01-01 12:00:00Z", tick=False):
        check_token(plaintext)
    with time_machine.travel("2026-01-01 12:00:30Z", tick=False):
        check_token(plaintext)
    token.refresh_from_db()
    assert token.last_used_at.isoformat() == "2026-01-01T12:00:00+00:00"
    with time_machine.travel("2026-01-01 12:01:30Z", tick=False):
        check_token(plaintext)
    token.refresh_from_db()
    assert token.last_used_at.isoformat() == "2026-01-01T12:01:30+00:00"


def test_a_token_in_steady_use_is_checked_without_a_write(site):
    _, plaintext = issue_token(site, "factory01")
    with time_machine.travel("2026-01-01 12:00:00Z", tick=False):
        check_token(plaintext)
    with (
        time_machine.travel("2026-01-01 12:00:30Z", tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        check_token(plaintext)
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]


def test_a_revoked_token_is_refused_with_a_reason(site):
    token, plaintext = issue_token(site, "factory01")
    revoke_token(token)
    with pytest.raises(TokenRefused, match="revoked"):
        check_token(plaintext)


def test_an_expired_token_is_refused(site):
    _, plaintext = issue_token(site, "old", expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(TokenRefused, match="expired"):
        check_token(plaintext)


def test_an_unknown_token_is_refused(site):
    issue_token(site, "factory01")
    with pytest.raises(TokenRefused, match="unknown"):
        check_token("vmk_" + "A" * 43)
