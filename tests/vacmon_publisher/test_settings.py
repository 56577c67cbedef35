"""Per-space settings through the API and the admin, and what they change in documents."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.builders import factory_status, machinetype_status
from tests.vacmon_publisher.support import NOW, SITE, SPACE, assert_valid, fetch, resource, write
from vacmon.models import CrrSpaceSettings
from vacmon.publisher import services

pytestmark = pytest.mark.django_db

URL = f"/crr/{SITE}/{SPACE}/crr.json"
API = f"/api/v1/crr/settings/{SITE}/{SPACE}/"
OTHER_SPACE = "vac02.example.ac.uk"


@pytest.fixture
def operator(client):
    staff = User.objects.create_user("operator", password="pw", is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


@pytest.fixture
def now_is_now(time_machine):
    time_machine.move_to(NOW + 30, tick=False)


@pytest.fixture
def published(now_is_now):
    write(
        factory_status(received=NOW, max_processors=8),
        factory_status(received=NOW, space=OTHER_SPACE, factory="g1", max_processors=4),
        machinetype_status(received=NOW, machinetype="lhcb"),
        machinetype_status(received=NOW, machinetype="shared", fqan="/gridpp/Role=NULL"),
    )
    services.publish_all()


def test_a_space_without_settings_gets_defaults_that_validate(client, published):
    doc = fetch(client, URL)
    assert_valid(doc)
    res = resource(doc, SPACE)
    assert (res["site"], res["os"], res["status"]) == (SITE, "not relevant", "production")
    assert "comment" not in res


def test_the_periodic_run_creates_default_settings_for_every_space_heard(client, published):
    body = client.get("/api/v1/crr/settings/").json()["results"]
    assert {(r["site"], r["space"], r["publish"]) for r in body} == {
        (SITE, SPACE, True),
        (SITE, OTHER_SPACE, True),
    }


def test_an_operator_sets_the_published_site_os_status_comment_and_vos(operator, published):
    change = {
        "gocdb_site": "UKI-EXAMPLE",
        "os": "CernVM 4 (EL7)",
        "status": "testing",
        "comment": "maintained by the example team",
        "assigned_vos": {"shared": ["dteam"]},
    }
    response = operator.patch(API, change, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["os"] == "CernVM 4 (EL7)"
    doc = fetch(operator, URL)
    assert_valid(doc)
    res = resource(doc, SPACE)
    assert (res["site"], res["os"], res["status"]) == ("UKI-EXAMPLE", "CernVM 4 (EL7)", "testing")
    assert res["comment"] == "maintained by the example team"
    assert res["shares"]["shared"]["assigned_vos"] == ["dteam"]
    assert res["assigned_vos"] == ["dteam", "lhcb"]


def test_switching_publish_off_hides_the_space_at_once(operator, published):
    response = operator.patch(API, {"publish": False}, content_type="application/json")
    assert response.status_code == 200
    assert operator.get(URL).status_code == 404
    aggregate = fetch(operator, f"/crr/{SITE}/crr.json")
    assert set(aggregate["computingresources"]) == {OTHER_SPACE}
    listed = {e["space"] for e in fetch(operator, "/crr/?format=json")["documents"]}
    assert SPACE not in listed and OTHER_SPACE in listed


def test_a_hidden_space_stays_hidden_on_the_next_periodic_run(client, published):
    CrrSpaceSettings.objects.filter(site=SITE, space=SPACE).update(publish=False)
    services.publish_all()
    assert client.get(URL).status_code == 404
    assert client.get(f"/crr/{SITE}/{OTHER_SPACE}/crr.json").status_code == 200


def test_put_creates_settings_and_fills_the_defaults(operator, now_is_now):
    response = operator.put(
        "/api/v1/crr/settings/NEW-SITE/new.example.org/",
        {"os": "EL9"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["os"], body["status"], body["publish"]) == ("EL9", "production", True)


@pytest.mark.parametrize(
    "change",
    [
        {"status": "retired"},
        {"assigned_vos": {"lhcb": []}},
        {"assigned_vos": ["lhcb"]},
        {"assigned_vos": {"lhcb": [""]}},
        {"gocdb_site": "TWO\nLINES"},
    ],
)
def test_the_api_refuses_settings_that_could_not_publish(operator, published, change):
    response = operator.patch(API, change, content_type="application/json")
    assert response.status_code == 400


def test_anyone_may_read_settings_but_only_staff_may_change_them(client, published):
    assert client.get(API).status_code == 200
    response = client.patch(API, {"publish": False}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert client.get(URL).status_code == 200


def test_the_admin_lists_spaces_with_their_failure_columns(operator, published):
    response = operator.get("/admin/vacmon/crrspacesettings/")
    assert response.status_code == 200
    text = response.content.decode().lower()
    assert SPACE in text and "refused documents" in text and "failing now" in text


def test_saving_in_the_admin_republishes_the_space(operator, published):
    row = CrrSpaceSettings.objects.get(site=SITE, space=SPACE)
    form = {
        "site": SITE,
        "space": SPACE,
        "gocdb_site": "",
        "os": "EL9 via admin",
        "status": "production",
        "comment": "",
        "assigned_vos": "{}",
        "publish": "on",
    }
    response = operator.post(f"/admin/vacmon/crrspacesettings/{row.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert resource(fetch(operator, URL), SPACE)["os"] == "EL9 via admin"


def test_the_admin_refuses_a_malformed_vo_override(operator, published):
    row = CrrSpaceSettings.objects.get(site=SITE, space=SPACE)
    form = {
        "site": SITE,
        "space": SPACE,
        "os": "x",
        "status": "production",
        "assigned_vos": '{"lhcb": "lhcb"}',
        "publish": "on",
    }
    response = operator.post(f"/admin/vacmon/crrspacesettings/{row.pk}/change/", form)
    assert response.status_code == 200
    assert "non-empty list of VO names" in response.content.decode()
