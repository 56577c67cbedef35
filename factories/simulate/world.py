"""The static shape of a simulated fleet: sites, spaces, factories and machinetypes.

Everything is drawn from one seeded `random.Random`, so a seed names a fleet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from factories.flavour import VAC_03, VAC_MASTER, VCYCLE_03
from factories.model import Sender

# (machinetype, accounting FQAN, target share, how much work the VO usually has 0..1)
VOS: tuple[tuple[str, str, float, float], ...] = (
    ("atlas", "/atlas/Role=production/Capability=NULL", 40.0, 0.9),
    ("lhcb", "/lhcb/Role=NULL/Capability=NULL", 30.0, 0.8),
    ("cms", "/cms/Role=production/Capability=NULL", 20.0, 0.85),
    ("alice", "/alice/Role=NULL/Capability=NULL", 10.0, 0.7),
    ("gridpp", "/gridpp/Role=NULL/Capability=NULL", 5.0, 0.3),
    ("dune", "/dune/Role=pilot/Capability=NULL", 5.0, 0.5),
    ("lz", "/lz/Role=NULL/Capability=NULL", 3.0, 0.4),
    ("na62", "/na62.vo.gridpp.ac.uk/Role=NULL/Capability=NULL", 2.0, 0.35),
    ("skatelescope", "/skatelescope.eu/Role=NULL/Capability=NULL", 2.0, 0.25),
    ("lsst", "/lsst/Role=NULL/Capability=NULL", 2.0, 0.3),
)
REGIONS = ("UKI-NORTHGRID", "UKI-SOUTHGRID", "UKI-SCOTGRID", "UKI-LT2", "CERN", "NIKHEF", "INFN")
OS_ISSUES = (
    "CentOS Linux release 7.6.1810 (Core)",
    "CentOS Linux release 7.9.2009 (Core)",
    "AlmaLinux release 9.4 (Seafoam Ocelot)",
)
KERNELS = ("3.10.0-957.1.3.el7.x86_64", "3.10.0-1160.el7.x86_64", "5.14.0-427.el9.x86_64")


@dataclass(frozen=True, slots=True)
class MachinetypeSpec:
    name: str
    fqan: str
    share: float
    work: float  # probability that a new machine finds work
    max_wallclock_seconds: int
    processors: int  # processors per machine


@dataclass(frozen=True, slots=True)
class FactorySpec:
    index: int
    sender: Sender
    slots: int  # processors on a Vac factory, processors_limit of a Vcycle space
    hs06_per_processor: float | None
    machinetypes: tuple[MachinetypeSpec, ...]
    kernel: str
    os_issue: str


def build_world(
    rng: random.Random, *, sites: int, factories: int, machinetypes: int, vcycle_share: float
) -> list[FactorySpec]:
    specs: list[FactorySpec] = []
    for site_no in range(sites):
        region = REGIONS[site_no % len(REGIONS)]
        domain = f"site{site_no:02d}.example.ac.uk"
        gocdb = f"{region}-SIM{site_no:02d}" if rng.random() < 0.8 else None
        vcycle = rng.random() < vcycle_share
        flavour = VCYCLE_03 if vcycle else (VAC_MASTER if rng.random() < 0.3 else VAC_03)
        hs06 = round(rng.uniform(9.0, 16.0), 2) if rng.random() < 0.7 else None
        types = _machinetypes(rng, machinetypes, vcycle)
        kernel, issue = rng.choice(KERNELS), rng.choice(OS_ISSUES)
        for n in range(factories):
            space = f"vcycle{n + 1:02d}.{domain}" if vcycle else f"vac01.{domain}"
            host = f"vcycle-mgr{n + 1:02d}.{domain}" if vcycle else f"vm{n + 1:03d}.{domain}"
            specs.append(
                FactorySpec(
                    index=len(specs),
                    sender=Sender(flavour, space, host, gocdb),
                    slots=rng.choice((100, 200, 400)) if vcycle else rng.choice((8, 16, 24, 32)),
                    hs06_per_processor=hs06,
                    machinetypes=types,
                    kernel=kernel,
                    os_issue="\\S" if vcycle and rng.random() < 0.5 else issue,
                )
            )
    return specs


def _machinetypes(rng: random.Random, count: int, vcycle: bool) -> tuple[MachinetypeSpec, ...]:
    chosen = rng.sample(VOS, min(count, len(VOS)))
    return tuple(
        MachinetypeSpec(
            name=name,
            fqan=fqan,
            share=share,
            work=work,
            max_wallclock_seconds=172800 if vcycle else 86400,
            processors=rng.choice((1, 8)) if vcycle else 1,
        )
        for name, fqan, share, work in chosen
    )
