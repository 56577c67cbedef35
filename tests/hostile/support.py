"""Hostile stored rows and every URL that shows them, shared by the read tests and the
whole-path property test."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote, urlencode

from factories.messages import Message
from tests.builders import factory_status, machine_status, machinetype_status

# Names the parser now refuses, stored as if they predated the rule.
BAD_NAMES = ("a/b", "%", "50%25", "line\nbreak", "é-ü.例", "..", " ", "x" * 255)
FAR_TIMES = (253402300800, 2**63 - 1)
HUGE = 1.7e308


@dataclass(frozen=True)
class Names:
    site: str
    space: str
    factory: str
    machinetype: str = "lhcb"
    machine: str = "m1.example.org"
    vo: str = "lhcb"


def q(name: str) -> str:
    return quote(name, safe="")


def page_urls(names: Names) -> list[str]:
    """Every page and API answer that can show `names`, plus the shared indexes."""
    n = names
    site, space, factory = q(n.site), q(n.space), q(n.factory)
    scope = urlencode({"site": n.site, "space": n.space, "factory": n.factory})
    space_path = f"/sites/{site}/{space}/"
    return [
        *(f"/{r}" for r in ("", "?range=hour", "?range=week", "?range=month", "?range=year")),
        "/vos/",
        f"/vos/{q(n.vo)}/",
        "/machines/",
        f"/machines/?{scope}",
        f"/search/?{urlencode({'q': n.site})}",
        f"/sites/{site}/",
        space_path,
        f"{space_path}machinetypes/{q(n.machinetype)}/",
        f"{space_path}{factory}/",
        f"{space_path}{factory}/machines/{q(n.machine)}/",
        "/api/v1/sites/",
        f"/api/v1/sites/{site}/",
        f"/api/v1/sites/{site}/spaces/{space}/",
        "/api/v1/spaces/",
        f"/api/v1/spaces/?{scope}",
        "/api/v1/factories/",
        f"/api/v1/factories/{site}/{space}/{factory}/",
        "/api/v1/machinetypes/",
        "/api/v1/machines/",
        f"/api/v1/machines/?{scope}",
        *(
            f"/api/v1/series/?{urlencode({'type': t, 'metric': m, 'group_by': g})}"
            for t, m in (("factory_status", "running_hs06"), ("factory_status", "load_average"))
            for g in ("site", "space", "factory")
        ),
        "/api/v1/series/?type=machinetype_status&metric=running_hs06&group_by=machinetype",
        "/api/v1/ingest/counters/",
        "/crr/",
        "/crr/?format=json",
        f"/crr/{site}/crr.json",
        f"/crr/{site}/{space}/crr.json",
        "/api/v1/crr/settings/",
        "/probes/",
        "/probes/ar/",
        f"/probes/ar/{site}/",
        f"/probes/metric/?{urlencode({'metric': 'org.vacmon.heartbeat', 'site': n.site})}",
        "/probes/feed.xml",
        f"/api/v1/probes/results/?{urlencode({'site': n.site})}",
        f"/api/v1/probes/ar/?{urlencode({'site': n.site})}",
        "/accounting/",
        "/metrics",
    ]


def server_errors(client, urls: Iterable[str]) -> dict[str, str]:
    """Each URL that answered 5xx, with the exception behind it: what a failure shows."""
    found: dict[str, str] = {}
    for url in urls:
        try:
            code = client.get(url).status_code
        except Exception as exc:  # the test client re-raises a view's exception
            found[url] = f"{type(exc).__name__}: {exc}"[:300]
            continue
        if code >= 500:
            found[url] = str(code)
    return found


def assert_no_server_errors(client, urls: Iterable[str]) -> None:
    found = server_errors(client, urls)
    assert not found, "\n".join(f"{url!r}: {error}" for url, error in found.items())


def unchecked(message: Message, **fields: object) -> Message:
    """`message` with `fields` set as stored rows may hold them, past every parse bound."""
    return dataclasses.replace(message, fields={**message.fields, **fields})


def hostile_fleet(now: int, names: Names) -> list[Message]:
    """Two factories summing to infinity, far times everywhere, a machine finished at the end
    of time, all under `names`."""
    where = {"site": names.site, "space": names.space}
    far, end = FAR_TIMES
    return [
        unchecked(
            factory_status(received=now, factory=names.factory, **where),
            running_hs06=HUGE,
            max_hs06=HUGE,
            load_average=1.7976931348623157e308,
            boot_time=far,
            factory_heartbeat_time=end,
            responder_heartbeat_time=far,
            mem_total_kb=2**63 - 1,
            root_disk_avail_kb=2**63 - 1,
        ),
        unchecked(
            factory_status(received=now - 60, factory="second." + names.factory[:200], **where),
            running_hs06=HUGE,
            running_processors=2**63 - 1,
            max_processors=2**63 - 1,
        ),
        unchecked(
            machinetype_status(
                received=now,
                factory=names.factory,
                machinetype=names.machinetype,
                fqan=f"/{names.vo}/Role=NULL",
                **where,
            ),
            running_hs06=HUGE,
            running_processors=2**63 - 1,
            shutdown_time=end,
        ),
        unchecked(
            machine_status(
                received=now,
                factory=names.factory,
                machinetype=names.machinetype,
                machine=names.machine,
                fqan=f"/{names.vo}/Role=NULL",
                **where,
            ),
            created_time=0,
            started_time=far,
            heartbeat_time=end,
            shutdown_time=end,
            cpu_seconds=2**63 - 1,
            hs06=HUGE,
        ),
    ]


def store_probe_rows(site: str, now: int) -> None:
    """A probe result and a stored day of availability for `site`, as the probe workers and
    the daily task would write them."""
    from vacmon.models import ProbeResult, SiteAvailability

    ProbeResult.objects.create(
        metric="org.vacmon.heartbeat",
        hostname="h.example.org",
        flavour="VAC",
        site=site,
        target_kind="space",
        status="OK",
        summary="ok",
        timestamp=now - 60,
        started_at=now - 61,
        finished_at=now - 60,
    )
    SiteAvailability.objects.update_or_create(
        site=site,
        day=date.today() - timedelta(days=1),
        defaults=dict(
            uptime=1.0, unknown=0.0, downtime=0.0, availability=1.0, reliability=1.0, variant="x"
        ),
    )


def now() -> int:
    return int(time.time())
