"""Operators manage everything in the admin; a site admin only their own site."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from vacmon.models import IngestToken, Site, SiteMembership
from vacmon.trust.tokens import check_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def sites() -> tuple[Site, Site]:
    return Site.objects.create(name="UKI-MINE"), Site.objects.create(name="UKI-THEIRS")


@pytest.fixture
def site_admin(client, sites):
    user = User.objects.create_user("carol", is_staff=True)
    SiteMembership.objects.create(user=user, site=sites[0], role="admin")
    client.force_login(user)
    return user


def test_an_operator_sees_every_site(client, sites):
    client.force_login(User.objects.create_superuser("root"))
    page = client.get("/admin/vacmon/site/").content.decode()
    assert "UKI-MINE" in page and "UKI-THEIRS" in page


def test_a_site_admin_sees_only_their_site(client, site_admin):
    page = client.get("/admin/vacmon/site/").content.decode()
    assert "UKI-MINE" in page and "UKI-THEIRS" not in page


def test_a_site_admin_cannot_open_another_sites_page(client, site_admin, sites):
    response = client.get(f"/admin/vacmon/site/{sites[1].pk}/change/")
    assert response.status_code in (302, 403, 404)
    assert client.get(f"/admin/vacmon/site/{sites[0].pk}/change/").status_code == 200


def test_a_site_admin_can_change_their_sites_udp_policy(client, site_admin, sites):
    mine = sites[0]
    form = {
        "udp_policy": "signed",
        "description": "",
        "crr_trusted_only": "unknown",
        **{f"{p}-TOTAL_FORMS": "0" for p in ("spaces", "networks", "keys")},
        **{f"{p}-INITIAL_FORMS": "0" for p in ("spaces", "networks", "keys")},
    }
    response = client.post(f"/admin/vacmon/site/{mine.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    mine.refresh_from_db()
    assert mine.udp_policy == "signed"


def test_a_staff_user_without_a_site_sees_no_registry(client, sites):
    client.force_login(User.objects.create_user("dave", is_staff=True))
    assert client.get("/admin/vacmon/site/").status_code == 403


def test_a_new_token_is_shown_once_and_works(client, site_admin, sites):
    response = client.post(
        "/admin/vacmon/ingesttoken/add/",
        {"site": sites[0].pk, "name": "factory01", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )
    page = response.content.decode()
    plaintext = re.search(r"vmk_[A-Za-z0-9_-]{43}", page).group(0)
    assert check_token(plaintext).site == sites[0]
    listing = client.get("/admin/vacmon/ingesttoken/").content.decode()
    assert plaintext not in listing
    assert IngestToken.objects.get().created_by == site_admin


def test_a_site_admin_cannot_issue_tokens_for_another_site(client, site_admin, sites):
    response = client.post(
        "/admin/vacmon/ingesttoken/add/",
        {"site": sites[1].pk, "name": "sneaky", "expires_at_0": "", "expires_at_1": ""},
    )
    assert response.status_code == 200  # the form comes back with an error
    assert not IngestToken.objects.exists()


def test_revoking_from_the_admin_refuses_the_token(client, site_admin, sites):
    client.post(
        "/admin/vacmon/ingesttoken/add/",
        {"site": sites[0].pk, "name": "factory01", "expires_at_0": "", "expires_at_1": ""},
    )
    token = IngestToken.objects.get()
    client.post(
        "/admin/vacmon/ingesttoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
