"""Who may do what, for every endpoint of the URL conf: anonymous, a viewer, a sender (a
site ingest token), an admin of site A, an admin of site B and an operator, with reading
closed and HTTP ingest authenticated as in issue 14's reproduction.

The cases are generated from the URL conf: an endpoint (or a method of one) without a rule
in RULES fails test_every_endpoint_has_a_rule, so nothing is added without saying who may
use it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.apel.helpers import job_fields, message
from tests.builders import factory_status, machine_status, machinetype_status
from tests.vacmon_probes.helpers import PLUGINS, external, result
from vacmon.models import (
    CrrSpaceSettings,
    Downtime,
    ProbeDefinition,
    ProbeEndpoint,
    ProbeResult,
    Site,
    SiteMembership,
)
from vacmon.store import get_store
from vacmon.trust.tokens import issue_token

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "viewer_a", "sender_a", "admin_a", "admin_b", "operator")
A, B = "SITEA", "SITEB"
SPACE, FACTORY, MACHINETYPE, MACHINE = "space.a.example", "f.a.example", "lhcb", "m.a.example"
HOST, FLAVOUR = "ce.a.example", "HTTPS"
NOW = int(time.time())


# --- What each kind of endpoint answers to each actor --------------------------------------
def public(ok: int = 200) -> dict[str, int]:
    return dict.fromkeys(ACTORS, ok)


def read_any(ok: int = 200) -> dict[str, int]:
    """Needs a caller; shows no one site (or only the caller's sites)."""
    return {**dict.fromkeys(ACTORS, ok), "anonymous": 401}


def read_a(ok: int = 200, other: int = 403) -> dict[str, int]:
    """Shows site A: a role on A, or an operator."""
    return {**read_any(ok), "admin_b": other}


def write_a(ok: int, other: int = 403) -> dict[str, int]:
    """Changes an object of site A: an admin of A, or an operator."""
    refused = {"viewer_a": 403, "sender_a": 403, "admin_b": other}
    return {"anonymous": 401, **refused, "admin_a": ok, "operator": ok}


def operators(ok: int) -> dict[str, int]:
    return {**dict.fromkeys(ACTORS, 403), "anonymous": 401, "operator": ok}


def send_a(ok: int) -> dict[str, int]:
    """A data channel: only a bearer token of the site sends (sessions carry none)."""
    return {**dict.fromkeys(ACTORS, 401), "sender_a": ok}


@dataclass(frozen=True)
class Rule:
    expect: dict[str, int]
    url: Callable[[World], str]
    body: Callable[[World], Any] = field(default=lambda world: None)
    content_type: str = "application/json"


def fixed(path: str) -> Callable[[World], str]:
    return lambda world: path


STATUS_BODY = json.loads(
    json.dumps(factory_status(received=NOW, site=A, space=SPACE, factory=FACTORY).fields)
)
PROBE = {
    "metric": "org.example.Matrix-Check",
    "target_kind": "endpoint",
    "flavour": FLAVOUR,
    "executable": "check_dummy",
    "args": ["0", "fine"],
}
DOWNTIME = {
    "hostname": HOST,
    "flavour": FLAVOUR,
    "start": "2026-03-10T22:00:00Z",
    "end": "2026-03-11T00:00:00Z",
}
SITE_PAGE = f"/sites/{A}/{SPACE}"
RULES: dict[tuple[str, str], Rule] = {
    ("schema", "get"): Rule(public(), fixed("/api/schema/")),
    ("api-messages", "post"): Rule(
        send_a(202), fixed("/api/v1/messages"), lambda world: STATUS_BODY
    ),
    ("api-sites", "get"): Rule(read_any(), fixed("/api/v1/sites/")),
    ("api-site", "get"): Rule(read_a(), fixed(f"/api/v1/sites/{A}/")),
    ("api-space", "get"): Rule(read_a(), fixed(f"/api/v1/sites/{A}/spaces/{SPACE}/")),
    ("api-spaces", "get"): Rule(read_any(), fixed("/api/v1/spaces/")),
    ("api-factories", "get"): Rule(read_any(), fixed("/api/v1/factories/")),
    ("api-factory", "get"): Rule(read_a(), fixed(f"/api/v1/factories/{A}/{SPACE}/{FACTORY}/")),
    ("api-machinetypes", "get"): Rule(read_any(), fixed("/api/v1/machinetypes/")),
    ("api-machines", "get"): Rule(read_any(), fixed("/api/v1/machines/")),
    ("api-series", "get"): Rule(read_a(), fixed(f"/api/v1/series/?site={A}")),
    ("api-counters", "get"): Rule(read_any(), fixed("/api/v1/ingest/counters/")),
    ("api-crr-settings", "get"): Rule(read_any(), fixed("/api/v1/crr/settings/")),
    ("api-crr-space-settings", "get"): Rule(read_a(), fixed(f"/api/v1/crr/settings/{A}/{SPACE}/")),
    ("api-crr-space-settings", "put"): Rule(
        write_a(200), fixed(f"/api/v1/crr/settings/{A}/{SPACE}/"), lambda w: {"publish": False}
    ),
    ("api-crr-space-settings", "patch"): Rule(
        write_a(200), fixed(f"/api/v1/crr/settings/{A}/{SPACE}/"), lambda w: {"publish": False}
    ),
    ("crr-index", "get"): Rule(public(), fixed("/crr/")),
    ("crr-site", "get"): Rule(public(404), fixed(f"/crr/{A}/crr.json")),
    ("crr-space", "get"): Rule(public(404), fixed(f"/crr/{A}/{SPACE}/crr.json")),
    ("probes-definitions", "get"): Rule(read_any(), fixed("/api/v1/probes/definitions/")),
    ("probes-definitions", "post"): Rule(
        operators(201), fixed("/api/v1/probes/definitions/"), lambda w: PROBE
    ),
    ("probes-definition", "get"): Rule(read_any(), lambda w: w.definition_url),
    ("probes-definition", "put"): Rule(
        operators(200), lambda w: w.definition_url, lambda w: {**PROBE, "interval": 600}
    ),
    ("probes-definition", "patch"): Rule(
        operators(200), lambda w: w.definition_url, lambda w: {"interval": 600}
    ),
    ("probes-definition", "delete"): Rule(operators(204), lambda w: w.definition_url),
    ("probes-endpoints", "get"): Rule(read_any(), fixed("/api/v1/probes/endpoints/")),
    ("probes-endpoints", "post"): Rule(
        write_a(201),
        fixed("/api/v1/probes/endpoints/"),
        lambda w: {"hostname": "new.a.example", "flavour": FLAVOUR, "site": A},
    ),
    ("probes-downtimes", "get"): Rule(read_any(), fixed("/api/v1/probes/downtimes/")),
    ("probes-downtimes", "post"): Rule(
        write_a(201), fixed("/api/v1/probes/downtimes/"), lambda w: DOWNTIME
    ),
    # Another site's downtime is not even found: 404, like a downtime that does not exist.
    ("probes-downtime", "get"): Rule(read_a(other=404), lambda w: w.downtime_url),
    ("probes-downtime", "put"): Rule(
        write_a(200, other=404), lambda w: w.downtime_url, lambda w: DOWNTIME
    ),
    ("probes-downtime", "patch"): Rule(
        write_a(200, other=404), lambda w: w.downtime_url, lambda w: {"description": "x"}
    ),
    ("probes-downtime", "delete"): Rule(write_a(204, other=404), lambda w: w.downtime_url),
    ("probes-results", "get"): Rule(read_any(), fixed("/api/v1/probes/results/")),
    ("probes-timeline", "get"): Rule(read_a(), lambda w: w.timeline_url),
    ("probes-ar", "get"): Rule(read_a(), fixed(f"/api/v1/probes/ar/?site={A}")),
    ("probes-runner", "get"): Rule(read_any(), fixed("/api/v1/probes/runner/")),
    ("probes-matrix", "get"): Rule(read_any(), fixed("/probes/")),
    ("probes-metric", "get"): Rule(read_a(other=404), lambda w: w.metric_page),
    ("probes-ar-month", "get"): Rule(read_any(), fixed("/probes/ar/")),
    ("probes-ar-site", "get"): Rule(read_a(), fixed(f"/probes/ar/{A}/")),
    ("probes-runner-page", "get"): Rule(read_any(), fixed("/probes/runner/")),
    ("probes-feed", "get"): Rule(read_any(), fixed("/probes/feed.xml")),
    ("healthz", "get"): Rule(public(), fixed("/healthz")),
    ("readyz", "get"): Rule(public(), fixed("/readyz")),
    ("metrics", "get"): Rule(public(), fixed("/metrics")),
    ("apel-messages", "post"): Rule(
        send_a(202),
        fixed("/api/v1/apel/messages"),
        lambda w: message(job_fields(Site=A)),
        content_type="text/plain",
    ),
    ("apel-status", "get"): Rule(read_any(), fixed("/api/v1/apel/status")),
    # Pages summing the whole fleet are for operators; the overview leads others to a site.
    ("accounting-index", "get"): Rule(operators(200), fixed("/accounting/")),
    ("overview", "get"): Rule({**read_any(302), "operator": 200}, fixed("/")),
    ("search", "get"): Rule(operators(200), fixed("/search/?q=nothing-matches")),
    ("vos", "get"): Rule(operators(200), fixed("/vos/")),
    ("vo", "get"): Rule(operators(200), fixed("/vos/lhcb/")),
    ("machines", "get"): Rule(read_a(), fixed(f"/machines/?site={A}")),
    ("site", "get"): Rule(read_a(), fixed(f"/sites/{A}/")),
    ("space", "get"): Rule(read_a(), fixed(f"{SITE_PAGE}/")),
    ("machinetype", "get"): Rule(read_a(), fixed(f"{SITE_PAGE}/machinetypes/{MACHINETYPE}/")),
    ("factory", "get"): Rule(read_a(), fixed(f"{SITE_PAGE}/{FACTORY}/")),
    ("machine", "get"): Rule(read_a(), fixed(f"{SITE_PAGE}/{FACTORY}/machines/{MACHINE}/")),
}


# --- The URL conf, walked ------------------------------------------------------------------
METHODS = ("get", "post", "put", "patch", "delete")


def endpoints() -> set[tuple[str, str]]:
    """(route name, method) of every endpoint outside the Django admin."""
    found: set[tuple[str, str]] = set()

    def walk(patterns: list[Any]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if not str(pattern.pattern).startswith("admin/"):
                    walk(pattern.url_patterns)
                continue
            assert isinstance(pattern, URLPattern)
            view_class = getattr(pattern.callback, "cls", None)
            methods = [m for m in METHODS if hasattr(view_class, m)] if view_class else ["get"]
            found.update((str(pattern.name), m) for m in methods)

    walk(get_resolver().url_patterns)
    return found


def test_every_endpoint_has_a_rule():
    assert endpoints() - set(RULES) == set(), "endpoints without a rule in RULES"
    assert set(RULES) - endpoints() == set(), "rules of endpoints that no longer exist"


# --- The world the requests meet -----------------------------------------------------------
@dataclass
class World:
    token: str
    users: dict[str, User]
    definition_url: str
    downtime_url: str
    timeline_url: str
    metric_page: str


def member(name: str, site: Site, role: str) -> User:
    user = User.objects.create(username=name, is_staff=role == "admin")
    SiteMembership.objects.create(user=user, site=site, role=role)
    return user


def build_world() -> World:
    site_a, site_b = Site.objects.create(name=A), Site.objects.create(name=B)
    _, token = issue_token(site_a, "factory")
    users = {
        "viewer_a": member("viewer", site_a, "viewer"),
        "admin_a": member("alice", site_a, "admin"),
        "admin_b": member("bob", site_b, "admin"),
        "operator": User.objects.create(username="root", is_staff=True, is_superuser=True),
    }
    get_store().write(
        [
            factory_status(received=NOW, site=A, space=SPACE, factory=FACTORY),
            machinetype_status(received=NOW, site=A, space=SPACE, factory=FACTORY),
            machine_status(received=NOW, site=A, space=SPACE, factory=FACTORY, machine=MACHINE),
        ]
    )
    ProbeEndpoint.objects.create(hostname=HOST, flavour=FLAVOUR, site=A)
    downtime = Downtime.objects.create(
        hostname=HOST, flavour=FLAVOUR, start="2026-03-01T00:00Z", end="2026-03-02T00:00Z"
    )
    CrrSpaceSettings.objects.create(site=A, space=SPACE)
    definition = external("org.example.Matrix-Existing", f"{PLUGINS}/check_dummy", "0")
    ProbeResult.objects.create(
        **_fields(result(NOW - 60, "OK", definition=definition, hostname=HOST, site=A))
    )
    query = f"metric={definition.metric}&hostname={HOST}&flavour=VAC"
    return World(
        token,
        users,
        f"/api/v1/probes/definitions/{definition.pk}/",
        f"/api/v1/probes/downtimes/{downtime.pk}/",
        f"/api/v1/probes/timelines/?{query}",
        f"/probes/metric/?{query}",
    )


def _fields(row: ProbeResult) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in row._meta.fields if f.name != "id"}


@pytest.fixture
def closed(settings):
    settings.VACMON_ANONYMOUS_READ = False
    settings.VACMON_HTTP_INGEST_AUTH = True
    settings.VACMON_APEL_UPLOAD_AUTH = True


def call(client: Client, world: World, actor: str, method: str, rule: Rule) -> int:
    headers = {}
    if actor == "sender_a":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.token}"
    elif actor != "anonymous":
        client.force_login(world.users[actor])
    body = rule.body(world)
    if body is not None and rule.content_type == "application/json":
        body = json.dumps(body)
    send = getattr(client, method)
    kwargs = {} if body is None else {"data": body, "content_type": rule.content_type}
    return int(send(rule.url(world), **kwargs, **headers).status_code)


CASES = [
    pytest.param(name, method, actor, id=f"{name}-{method}-{actor}")
    for (name, method) in sorted(RULES)
    for actor in ACTORS
]


@pytest.mark.parametrize(("name", "method", "actor"), CASES)
def test_each_actor_gets_the_status_its_role_allows(client, closed, name, method, actor):
    rule = RULES[(name, method)]
    world = build_world()
    assert call(client, world, actor, method, rule) == rule.expect[actor]


def test_nothing_a_refused_actor_tried_was_changed(client, closed):
    world = build_world()
    for actor in ("anonymous", "viewer_a", "sender_a", "admin_b"):
        for key in [k for k in RULES if k[1] in ("post", "put", "patch", "delete")]:
            call(client, world, actor, key[1], RULES[key])
            client.logout()
    assert CrrSpaceSettings.objects.get(site=A, space=SPACE).publish is True
    assert ProbeDefinition.objects.filter(metric="org.example.Matrix-Existing").exists()
    assert not ProbeDefinition.objects.filter(metric=PROBE["metric"]).exists()
    assert Downtime.objects.count() == 1
    assert not ProbeEndpoint.objects.filter(hostname="new.a.example").exists()
