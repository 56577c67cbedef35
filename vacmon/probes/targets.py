"""What each probe definition runs against.

Space, factory and site probes target everything the store has heard from recently;
endpoint probes target the topology's endpoints of their flavour (ProbeEndpoint rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from factories.messages import Message
from probes.feed import SPACE_FLAVOURS as PRODUCT_FLAVOURS
from probes.model import Target, TargetKind
from vacmon.models import ProbeDefinition as DefinitionRow
from vacmon.models import ProbeEndpoint
from vacmon.probes.definitions import FACTORY_SUFFIX, SITE_FLAVOUR
from vacmon.store import get_store


@dataclass(frozen=True)
class TargetRef:
    """One (definition, target) pair in plain values, as a Celery task receives it."""

    definition_id: int
    kind: str
    hostname: str
    flavour: str
    site: str = ""

    @property
    def key(self) -> str:
        return f"{self.definition_id}|{self.hostname}|{self.flavour}"

    def target(self) -> Target:
        return Target(TargetKind(self.kind), self.hostname, self.flavour, self.site or None)


def product_flavour(daemon_version: object) -> str:
    """VAC or VCYCLE from `Vcycle 03.00+pre06 vcycled`; Vac when a sender does not say."""
    product = str(daemon_version or "").split(" ", 1)[0]
    return PRODUCT_FLAVOURS.get(product, "VAC")


@dataclass(frozen=True)
class Seen:
    """Sites, spaces and factories heard from within the discovery window."""

    sites: dict[str, str]  # site -> site
    spaces: dict[str, tuple[str, str]]  # space -> (site, flavour)
    factories: dict[str, tuple[str, str]]  # factory -> (site, flavour)


def discover(now: int) -> Seen:
    since = now - settings.VACMON_PROBE_DISCOVERY_DAYS * 86400
    # The latest factory_status per factory names its site, space and daemon (so flavour)
    # in one query, which factories() alone would not.
    latest: list[Message] = get_store().latest("factory_status", since=since, until=now)
    sites: dict[str, str] = {}
    spaces: dict[str, tuple[str, str]] = {}
    factories: dict[str, tuple[str, str]] = {}
    for message in sorted(latest, key=lambda m: m.time_received):
        flavour = product_flavour(message.get("daemon_version"))
        sites[message.site] = message.site
        spaces[message.space] = (message.site, flavour)
        factories[message.factory] = (message.site, flavour + FACTORY_SUFFIX)
    return Seen(sites, spaces, factories)


def targets_of(
    row: DefinitionRow, seen: Seen, endpoints: Iterable[ProbeEndpoint]
) -> list[TargetRef]:
    kind = row.target_kind

    def ref(hostname: str, site: str, flavour: str) -> TargetRef:
        return TargetRef(row.pk, kind, hostname, row.flavour or flavour, site)

    if kind == TargetKind.SPACE:
        return [ref(space, site, flavour) for space, (site, flavour) in seen.spaces.items()]
    if kind == TargetKind.FACTORY:
        return [ref(name, site, flavour) for name, (site, flavour) in seen.factories.items()]
    if kind == TargetKind.SITE:
        return [ref(site, site, SITE_FLAVOUR) for site in seen.sites]
    return [
        TargetRef(row.pk, kind, e.hostname, e.flavour, e.site)
        for e in endpoints
        if e.flavour == row.flavour
    ]


def all_targets(now: int) -> list[tuple[DefinitionRow, TargetRef]]:
    """Every enabled definition paired with each of its current targets."""
    seen = discover(now)
    endpoints = list(ProbeEndpoint.objects.filter(enabled=True))
    return [
        (row, ref)
        for row in DefinitionRow.objects.filter(enabled=True)
        for ref in targets_of(row, seen, endpoints)
    ]
