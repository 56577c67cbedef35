"""The quarantine in the admin: operators see every row, a site admin only the rows that
name their site, and nobody edits what was received."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User

from vacmon.models import QuarantinedMessage, Site, SiteMembership

pytestmark = pytest.mark.django_db

URL = "/admin/vacmon/quarantinedmessage/"


def kept(site: str, raw: bytes) -> QuarantinedMessage:
    return QuarantinedMessage.objects.create(
        received_at=datetime.now(UTC),
        channel="udp",
        source="192.0.2.66",
        reason="unstorable",
        detail="RecursionError: maximum recursion depth exceeded",
        message_type="factory_status",
        site=site,
        space="p.sp",
        factory="f",
        raw=raw,
    )


def test_an_operator_sees_every_quarantined_message_and_its_bytes(client):
    mine, theirs = kept("UKI-MINE", b'{"x": [[[]]]}'), kept("UKI-THEIRS", b"\xff")
    client.force_login(User.objects.create_superuser("root"))

    page = client.get(URL).content.decode()
    assert "UKI-MINE" in page and "UKI-THEIRS" in page
    detail = client.get(f"{URL}{mine.pk}/change/")
    assert detail.status_code == 200 and "[[[]]]" in detail.content.decode()
    assert client.get(f"{URL}{theirs.pk}/change/").status_code == 200


def test_a_site_admin_sees_only_the_quarantined_messages_naming_their_site(client):
    user = User.objects.create_user("carol", is_staff=True)
    SiteMembership.objects.create(
        user=user, site=Site.objects.create(name="UKI-MINE"), role="admin"
    )
    kept("UKI-MINE", b"{}")
    theirs = kept("UKI-THEIRS", b"{}")
    client.force_login(user)

    page = client.get(URL).content.decode()
    assert "UKI-MINE" in page and "UKI-THEIRS" not in page
    assert client.get(f"{URL}{theirs.pk}/change/").status_code in (302, 403, 404)
    assert client.post(f"{URL}{theirs.pk}/delete/", {"post": "yes"}).status_code in (302, 403)
    assert QuarantinedMessage.objects.filter(pk=theirs.pk).exists()
