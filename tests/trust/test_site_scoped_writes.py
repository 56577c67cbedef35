"""A site admin writes only their own site's objects, and reading closed means closed: the
reproductions of issue 14, with a site admin who has no Django permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from vacmon.models import CrrSpaceSettings, Downtime, ProbeEndpoint, Site, SiteMembership
from vacmon.models.probes import ProbeDefinition

pytestmark = pytest.mark.django_db

DOWNTIME = {
    "hostname": "ce.siteb.example",
    "flavour": "HTTPS",
    "start": "2026-03-10T22:00:00Z",
    "end": "2026-03-11T00:00:00Z",
}


@pytest.fixture
def admin_of_a(client):
    user = User.objects.create(username="alice", is_staff=True)
    site_a = Site.objects.create(name="SITEA")
    Site.objects.create(name="SITEB")
    SiteMembership.objects.create(user=user, site=site_a, role="admin")
    ProbeEndpoint.objects.create(hostname="ce.siteb.example", flavour="HTTPS", site="SITEB")
    ProbeEndpoint.objects.create(hostname="ce.sitea.example", flavour="HTTPS", site="SITEA")
    CrrSpaceSettings.objects.create(site="SITEB", space="sp.siteb")
    client.force_login(user)
    return client


def test_a_site_admin_cannot_switch_off_another_sites_crr_publication(admin_of_a):
    answer = admin_of_a.put(
        "/api/v1/crr/settings/SITEB/sp.siteb/", {"publish": False}, content_type="application/json"
    )
    assert answer.status_code == 403
    assert CrrSpaceSettings.objects.get(site="SITEB").publish is True


def test_a_site_admin_switches_their_own_sites_crr_publication(admin_of_a):
    answer = admin_of_a.put(
        "/api/v1/crr/settings/SITEA/sp.sitea/", {"publish": False}, content_type="application/json"
    )
    assert answer.status_code == 200
    assert CrrSpaceSettings.objects.get(site="SITEA").publish is False


def test_a_site_admin_cannot_create_a_downtime_of_another_sites_endpoint(admin_of_a):
    answer = admin_of_a.post("/api/v1/probes/downtimes/", DOWNTIME, content_type="application/json")
    assert answer.status_code == 403
    assert not Downtime.objects.exists()


def test_a_site_admin_creates_a_downtime_of_their_own_endpoint(admin_of_a):
    body = {**DOWNTIME, "hostname": "ce.sitea.example"}
    answer = admin_of_a.post("/api/v1/probes/downtimes/", body, content_type="application/json")
    assert answer.status_code == 201


def test_a_downtime_of_an_unregistered_endpoint_is_for_operators(admin_of_a):
    body = {**DOWNTIME, "hostname": "nobody.example"}
    answer = admin_of_a.post("/api/v1/probes/downtimes/", body, content_type="application/json")
    assert answer.status_code == 403


def test_a_site_admin_cannot_move_their_downtime_to_another_site(admin_of_a):
    own = Downtime.objects.create(
        hostname="ce.sitea.example", flavour="HTTPS", start=DOWNTIME["start"], end=DOWNTIME["end"]
    )
    answer = admin_of_a.patch(
        f"/api/v1/probes/downtimes/{own.pk}/",
        {"hostname": "ce.siteb.example"},
        content_type="application/json",
    )
    assert answer.status_code == 403
    own.refresh_from_db()
    assert own.hostname == "ce.sitea.example"


def test_a_site_admin_cannot_register_an_endpoint_for_another_site(admin_of_a):
    body = {"hostname": "new.example", "flavour": "HTTPS", "site": "SITEB"}
    answer = admin_of_a.post("/api/v1/probes/endpoints/", body, content_type="application/json")
    assert answer.status_code == 403


def test_a_site_admin_cannot_delete_a_built_in_probe(admin_of_a):
    builtin = ProbeDefinition.objects.exclude(builtin="").first()
    assert builtin is not None
    assert admin_of_a.delete(f"/api/v1/probes/definitions/{builtin.pk}/").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/probes/definitions/",
        "/api/v1/probes/endpoints/",
        "/api/v1/probes/downtimes/",
        "/api/v1/crr/settings/",
    ],
)
def test_closed_reading_refuses_anonymous_configuration_reads(client, settings, path):
    settings.VACMON_ANONYMOUS_READ = False
    assert client.get(path).status_code == 401


def test_closed_reading_shows_a_viewer_only_their_sites_rows(client, settings, admin_of_a):
    settings.VACMON_ANONYMOUS_READ = False
    rows = admin_of_a.get("/api/v1/probes/endpoints/").json()["results"]
    assert {r["site"] for r in rows} == {"SITEA"}
    assert admin_of_a.get("/api/v1/crr/settings/").json()["results"] == []


def test_the_site_admin_page_offers_only_the_users_sites(admin_of_a):
    page = admin_of_a.get("/admin/vacmon/probeendpoint/")
    assert page.status_code == 200
    assert "ce.sitea.example" in page.content.decode()
    assert "ce.siteb.example" not in page.content.decode()


def test_a_site_admin_cannot_change_probe_definitions_in_the_admin(admin_of_a):
    builtin = ProbeDefinition.objects.first()
    assert builtin is not None
    answer = admin_of_a.post(f"/admin/vacmon/probedefinition/{builtin.pk}/delete/", {"post": "yes"})
    assert answer.status_code in (302, 403)
    assert ProbeDefinition.objects.filter(pk=builtin.pk).exists()


def test_closed_probe_pages_show_only_the_readers_sites(client, settings, admin_of_a):
    from tests.vacmon_probes.helpers import PLUGINS, external, result
    from vacmon.models import ProbeResult

    settings.VACMON_ANONYMOUS_READ = False
    check = external("org.example.Page-Check", f"{PLUGINS}/check_dummy", "0")
    ProbeResult.objects.bulk_create(
        [
            result(
                1_800_000_000, "OK", definition=check, hostname="ce.sitea.example", site="SITEA"
            ),
            result(
                1_800_000_000, "OK", definition=check, hostname="ce.siteb.example", site="SITEB"
            ),
        ]
    )
    page = admin_of_a.get("/probes/metric/?metric=org.example.Page-Check").content.decode()
    assert "ce.sitea.example" in page
    assert "ce.siteb.example" not in page


def test_closed_fleet_pages_lead_a_site_reader_to_their_site(client, settings, admin_of_a):
    settings.VACMON_ANONYMOUS_READ = False
    overview = admin_of_a.get("/")
    assert (overview.status_code, overview["Location"]) == (302, "/sites/SITEA/")
    refused = admin_of_a.get("/machines/")
    assert refused.status_code == 403
    assert refused.json()["your_sites"] == ["SITEA"]
    assert admin_of_a.get("/machines/?site=SITEB").status_code == 403


def patch_settings(client, site: str, token: str):
    return client.patch(
        f"/api/v1/crr/settings/{site}/sp.{site.lower()}/",
        {"publish": False},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_an_oidc_site_admin_writes_only_their_site(client, issuer):
    token = issuer.token(groups=["/vacmon/sites/SITEA/admin"])
    assert patch_settings(client, "SITEA", token).status_code == 200
    assert patch_settings(client, "SITEB", token).status_code == 403


def test_an_oidc_sender_or_viewer_writes_nothing(client, issuer):
    for role in ("sender", "viewer"):
        token = issuer.token(groups=[f"/vacmon/sites/SITEA/{role}"])
        assert patch_settings(client, "SITEA", token).status_code == 403


def test_an_oidc_operator_writes_every_site_and_probe_definitions(client, issuer):
    token = issuer.token(groups=["/vacmon/operators"])
    assert patch_settings(client, "SITEB", token).status_code == 200
    body = {
        "metric": "org.example.Oidc-Check",
        "target_kind": "endpoint",
        "flavour": "HTTPS",
        "executable": "check_dummy",
        "args": ["0"],
    }
    created = client.post(
        "/api/v1/probes/definitions/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert created.status_code == 201, created.content
