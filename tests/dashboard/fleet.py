"""A small fleet shared by the view and browser tests: two sites, a hostile sender, a stale
factory and finished machines with known outcomes."""

from __future__ import annotations

from dataclasses import dataclass

from tests.builders import factory_status, machine_status, machinetype_status
from vacmon.store import get_store

HOSTILE = "<script>alert(1)</script>"
HOSTILE_OS = "<img src=x onerror=alert(2)>"
HOSTILE_SITE = "EVIL<svg onload=alert(3)>"
HOSTILE_MACHINETYPE = "mt<img src=y onerror=alert(4)>"


@dataclass(frozen=True)
class Fleet:
    now: int
    site: str = "EXAMPLE-SITE"
    space: str = "vac01.example.ac.uk"
    factory: str = "f1.example.ac.uk"
    stale_factory: str = "old.example.ac.uk"
    machine: str = "f1-01.example.ac.uk"
    hostile_machine: str = "f1-02.example.ac.uk"
    other_site: str = "OTHER-SITE"
    other_space: str = "vac.other.org"


def write_fleet(now: int) -> Fleet:
    f = Fleet(now=now)
    messages = []
    # Ten minutes of factory and machinetype cycles, one a minute.
    for k in range(10):
        t = now - 600 + k * 60 + 30
        messages += [
            factory_status(
                received=t,
                factory=f.factory,
                running_processors=6,
                max_processors=8,
                running_hs06=75.0,
                max_hs06=100.0,
                running_machines=6,
            ),
            factory_status(
                received=t,
                factory="f2.example.ac.uk",
                running_processors=2,
                max_processors=8,
                running_machines=2,
                running_hs06=25.0,
                max_hs06=100.0,
            ),
            machinetype_status(
                received=t,
                factory=f.factory,
                machinetype="lhcb",
                running_processors=4,
                running_machines=4,
                running_hs06=50.0,
            ),
            machinetype_status(
                received=t,
                factory=f.factory,
                machinetype="atlas",
                running_processors=2,
                running_machines=2,
                running_hs06=25.0,
                shutdown_message=HOSTILE,
                shutdown_machine=f.hostile_machine,
                shutdown_time=now - 900,
            ),
            machinetype_status(
                received=t,
                factory="f2.example.ac.uk",
                machinetype="lhcb",
                running_processors=2,
                running_machines=2,
                running_hs06=25.0,
            ),
            factory_status(
                received=t,
                site=f.other_site,
                space=f.other_space,
                factory="g1.other.org",
                running_processors=3,
                max_processors=4,
                running_machines=3,
                os_issue=HOSTILE_OS,
            ),
            machinetype_status(
                received=t,
                site=f.other_site,
                space=f.other_space,
                factory="g1.other.org",
                machinetype="atlas",
                running_processors=3,
                running_machines=3,
                running_hs06=30.0,
            ),
            factory_status(
                received=t,
                site=HOSTILE_SITE,
                space="evil.example",
                factory="e1.evil.example",
                running_processors=1,
                max_processors=1,
            ),
            machinetype_status(
                received=t,
                site=HOSTILE_SITE,
                space="evil.example",
                factory="e1.evil.example",
                machinetype=HOSTILE_MACHINETYPE,
                running_processors=1,
                running_machines=1,
            ),
        ]
    # A factory that went quiet over an hour ago: stale, shown, not counted.
    messages.append(
        factory_status(received=now - 4000, factory=f.stale_factory, running_processors=9)
    )
    messages += [
        machine_status(
            received=now - 1200,
            machine=f.machine,
            factory=f.factory,
            machinetype="lhcb",
            created_time=now - 8000,
            started_time=now - 7900,
            heartbeat_time=now - 1250,
            shutdown_time=now - 1210,
            shutdown_message="200 Success",
            cpu_seconds=6000,
            num_processors=1,
            hs06=12.5,
        ),
        # Pushed at finish with no message (Vac quirk): the outcome comes from the
        # machinetype_status that names it.
        machine_status(
            received=now - 890,
            machine=f.hostile_machine,
            factory=f.factory,
            machinetype="atlas",
            created_time=now - 5000,
            started_time=now - 4900,
            heartbeat_time=now - 920,
            shutdown_time=None,
            shutdown_message=None,
            cpu_seconds=3000,
            num_processors=1,
            state="Running",
        ),
    ]
    get_store().write(messages)
    return f
