"""Render resource facts as a CRR v1.5 or a VacMon-2019 document.

`crr-1.5` emits exactly the keys CRR v1.5 allows (every object in that schema has
`additionalProperties: false`), in the order of spec crr-etf-sam 1.7. `vacmon-2019`
reproduces the shape the original service emitted (vac-protocol 5.2) for consumers that
still parse it; it does not validate against v1.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TypeGuard

from publisher.jsontypes import JsonObject, JsonValue
from publisher.model import Product, ResourceFacts, ShareFacts
from publisher.units import gb_per_processor, hs06, legacy_memory_gb, logical_cpus, whole_minutes


class CrrFormat(StrEnum):
    CRR_1_5 = "crr-1.5"
    VACMON_2019 = "vacmon-2019"


# v1.5 spells Vac and Vcycle differently (`VAC` vs the GOCDB-style name); the same string
# serves as `jobmanager` and as the access point `flavour`.
CRR15_FLAVOURS = {Product.VAC: "VAC", Product.VCYCLE: "uk.ac.gridpp.vcycle"}
LEGACY_FLAVOURS = {Product.VAC: "uk.ac.gridpp.vac", Product.VCYCLE: "uk.ac.gridpp.vcycle"}

SHARE_TYPE = "machinetype"
RESOURCE_TYPE = "vacuum"


def render(resources: Sequence[ResourceFacts], fmt: CrrFormat = CrrFormat.CRR_1_5) -> JsonObject:
    """One document with one computing resource per space.

    Raises ValueError if two resources share an identifier: a JSON object cannot carry
    both, and a silent overwrite is what CRR integrity rule 2 exists to prevent.
    """
    render_one = _crr15_resource if fmt is CrrFormat.CRR_1_5 else _legacy_resource
    resources_doc: JsonObject = {}
    for resource in resources:
        if resource.resource_id in resources_doc:
            raise ValueError(f"two resources are called {resource.resource_id!r}")
        resources_doc[resource.resource_id] = render_one(resource)
    return {"computingresources": resources_doc}


def _crr15_resource(r: ResourceFacts) -> JsonObject:
    flavour = CRR15_FLAVOURS.get(r.daemon.product, r.daemon.name)
    walltimes = [whole_minutes(w) for s in r.shares if _known(w := s.max_wallclock_seconds)]
    memories = [gb_per_processor(b) for s in r.shares if _known(b := s.bytes_per_processor)]
    doc: JsonObject = {
        "site": r.site,
        "type": RESOURCE_TYPE,
        "jobmanager": flavour,
        "jobmanager_version": r.daemon.version,
        "status": r.status,
        "number_logical_cpus": logical_cpus(r.total_processors),
        "capacity_hs06": hs06(r.total_hs06),
        "os": r.os,
    }
    if r.coprocessor is not None:
        doc["coprocessor"] = r.coprocessor
    # Resource-level limits summarise the shares: the longest wallclock any share allows,
    # and the smallest memory per processor, which every share guarantees.
    doc["max_walltime_minutes"] = max(
        walltimes, default=whole_minutes(r.fallback_max_wallclock_seconds)
    )
    doc["max_memory_gb"] = min(memories, default=gb_per_processor(r.fallback_bytes_per_processor))
    # The union of the share VOs keeps integrity rule 4 (share VOs are resource VOs) true.
    doc["assigned_vos"] = _strings(sorted({vo for s in r.shares for vo in s.vos}))
    if r.comment is not None:
        doc["comment"] = r.comment
    doc["publication_time"] = r.publication_time
    if r.shares:
        doc["shares"] = {s.machinetype: _crr15_share(s) for s in r.shares}
    doc["accesspoints"] = _accesspoints(r, flavour)
    return doc


def _crr15_share(share: ShareFacts) -> JsonObject:
    doc: JsonObject = {"type": SHARE_TYPE}
    if share.vos:
        doc["assigned_vos"] = _strings(share.vos)
    if _known(share.max_wallclock_seconds):
        doc["max_walltime_minutes"] = whole_minutes(share.max_wallclock_seconds)
    if _known(share.bytes_per_processor):
        doc["max_memory_gb"] = gb_per_processor(share.bytes_per_processor)
    return doc


def _legacy_resource(r: ResourceFacts) -> JsonObject:
    flavour = LEGACY_FLAVOURS.get(r.daemon.product, r.daemon.name)
    doc: JsonObject = {
        "site": r.site,
        "type": RESOURCE_TYPE,
        "jobmanager": flavour,
        "jobmanager_version": r.daemon.version,
        "status": r.status,
        "number_logical_cpus": logical_cpus(r.total_processors),
    }
    # The original truncated to int and left the key out when there was no capacity.
    if int(r.total_hs06) > 0:
        doc["capacity_HS06"] = int(r.total_hs06)
    doc["publication_time"] = r.publication_time
    doc["shares"] = {s.machinetype: _legacy_share(s) for s in r.shares}
    doc["accesspoints"] = _accesspoints(r, flavour)
    return doc


def _legacy_share(share: ShareFacts) -> JsonObject:
    doc: JsonObject = {"type": SHARE_TYPE}
    if share.vos:
        doc["assigned_vos"] = _strings(share.vos)
    if _known(share.max_wallclock_seconds):
        doc["max_walltime_minutes"] = whole_minutes(share.max_wallclock_seconds)
    if _known(share.max_processors) and _known(share.bytes_per_processor):
        doc["max_main_memory_GB"] = legacy_memory_gb(
            share.max_processors, share.bytes_per_processor
        )
    return doc


def _accesspoints(r: ResourceFacts, flavour: str) -> JsonObject:
    # The space is both the access point id and its only endpoint, as in the original;
    # `shares` is left out because every share is reachable through it.
    return {
        r.resource_id: {
            "flavour": flavour,
            "version": r.daemon.version,
            "endpoint_urls": [r.resource_id],
        }
    }


def _known(value: float | None) -> TypeGuard[float]:
    # A zero or negative limit is not a limit a share can run under: treat it as unknown.
    return value is not None and value > 0


def _strings(values: Sequence[str]) -> list[JsonValue]:
    return list(values)
