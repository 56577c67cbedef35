"""Plugins, not programs: a probe runs only a plugin of the configured plugin directories,
and only operators write definitions (the remote code execution of issue 14)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from probes.model import ProbeError
from probes.plugin import resolve_plugin
from tests.vacmon_probes.helpers import PLUGINS, external
from vacmon.models import ProbeDefinition, ProbeResult, Site, SiteMembership
from vacmon.probes import tasks

pytestmark = pytest.mark.django_db

SHELL_PROBE = {
    "metric": "org.example.Proof",
    "target_kind": "endpoint",
    "flavour": "HTTPS",
    "executable": "/bin/sh",
    "args": ["-c", "id > /tmp/proof"],
}


def plugin(directory: Path, name: str, body: str = "echo OK; exit 0") -> Path:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def site_admin(name: str, site: str) -> User:
    user = User.objects.create(username=name, is_staff=True)
    SiteMembership.objects.create(
        user=user, site=Site.objects.get_or_create(name=site)[0], role="admin"
    )
    return user


def test_it_finds_a_plugin_by_name_in_an_operators_directory(tmp_path):
    found = plugin(tmp_path, "check_site")
    assert resolve_plugin("check_site", [PLUGINS, str(tmp_path)]) == str(found)


@pytest.mark.parametrize("name", ["/bin/sh", "sh", "../../../bin/sh", "bin/sh", "", "x\0y"])
def test_it_refuses_a_name_outside_the_plugin_directories(tmp_path, name):
    with pytest.raises(ProbeError):
        resolve_plugin(name, [str(tmp_path)])


def test_a_symbolic_link_in_a_plugin_directory_cannot_lead_out_of_it(tmp_path):
    (tmp_path / "check_shell").symlink_to("/bin/sh")
    with pytest.raises(ProbeError, match="not an executable plugin"):
        resolve_plugin("check_shell", [str(tmp_path)])


def test_a_file_that_is_not_executable_is_not_a_plugin(tmp_path):
    plugin(tmp_path, "check_x").chmod(0o644)
    with pytest.raises(ProbeError):
        resolve_plugin("check_x", [str(tmp_path)])


def test_a_site_admin_may_not_create_a_probe_definition(client):
    client.force_login(site_admin("alice", "SITEA"))
    answer = client.post(
        "/api/v1/probes/definitions/", SHELL_PROBE, content_type="application/json"
    )
    assert answer.status_code == 403
    assert not ProbeDefinition.objects.filter(metric="org.example.Proof").exists()


def test_a_site_admin_may_not_delete_a_built_in_definition(client):
    client.force_login(site_admin("alice", "SITEA"))
    builtin = ProbeDefinition.objects.exclude(builtin="").first()
    assert builtin is not None
    assert client.delete(f"/api/v1/probes/definitions/{builtin.pk}/").status_code == 403
    assert ProbeDefinition.objects.filter(pk=builtin.pk).exists()


def test_even_an_operator_cannot_name_a_shell(client):
    client.force_login(User.objects.create(username="root", is_staff=True, is_superuser=True))
    answer = client.post(
        "/api/v1/probes/definitions/", SHELL_PROBE, content_type="application/json"
    )
    assert answer.status_code == 400
    assert "not an executable plugin" in str(answer.json())


def test_a_stored_row_naming_a_program_never_runs(tmp_path):
    proof = tmp_path / "proof"
    row = external("org.example.Proof", "/bin/sh", "-c", f"touch {proof}")
    stored = tasks.run_probe(row.pk, "endpoint", "127.0.0.1", "HTTPS", "EXAMPLE-SITE", 0.0)
    assert stored == 1
    result = ProbeResult.objects.latest("id")
    assert result.status == "UNKNOWN"
    assert "plugin refused" in result.summary
    assert not proof.exists()


def test_a_plugin_of_an_operators_directory_runs(settings, tmp_path):
    plugin(tmp_path, "check_site", "echo 'SITE OK - fine'; exit 0")
    settings.VACMON_PROBE_PLUGIN_DIRS = [str(tmp_path)]
    row = external("org.example.Site-Check", "check_site")
    tasks.run_probe(row.pk, "endpoint", "127.0.0.1", "HTTPS", "EXAMPLE-SITE", 0.0)
    assert ProbeResult.objects.latest("id").status == "OK"


def test_only_an_operator_sees_the_values_of_a_plugins_environment(client):
    external("org.example.Env-Check", f"{PLUGINS}/check_dummy", "0", env={"PASSWORD": "s3cret"})
    url = "/api/v1/probes/definitions/"
    shown = {d["metric"]: d["env"] for d in client.get(url).json()["results"]}
    assert shown["org.example.Env-Check"] == {"PASSWORD": "(hidden)"}
    client.force_login(User.objects.create(username="root", is_superuser=True))
    shown = {d["metric"]: d["env"] for d in client.get(url).json()["results"]}
    assert shown["org.example.Env-Check"] == {"PASSWORD": "s3cret"}


@pytest.mark.skipif(not os.path.exists(f"{PLUGINS}/check_dummy"), reason="no monitoring-plugins")
def test_a_debian_plugin_is_accepted_by_its_bare_name(client):
    client.force_login(User.objects.create(username="root", is_staff=True, is_superuser=True))
    body = {**SHELL_PROBE, "executable": "check_dummy", "args": ["0", "fine"]}
    answer = client.post("/api/v1/probes/definitions/", body, content_type="application/json")
    assert answer.status_code == 201, answer.content
