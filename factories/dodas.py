"""DODAS / HTCondor adapter: `condor_status -json` startd ads -> status of one space.

The mapping (documented in factories/README.md):

* slot type -> machinetype: the ad's own `VacMonMachinetype` attribute if the site sets
  one, else the name configured for its `abs(SlotTypeID)` (dynamic slots carry the negated
  id of their partitionable parent), else `slot-type-<N>`.
* VO: for a claimed slot `x509UserProxyVOName`, else the group of `AccountingGroup`
  (`group_cms.pilot` -> `cms`), else the configured VO of the `RemoteOwner` user, else the
  first of `AcceptedVOs`; an unclaimed slot uses `AcceptedVOs` or the default VO.
* running: `Claimed` with `Busy`/`Retiring`/`Suspended` and `Preempting` are running;
  `Claimed/Idle` and `Matched` are starting (counted as running and before-fizzle, like
  Vac's Starting machines); `Unclaimed`, `Owner`, `Drained`, `Backfill` are idle.
* capacity: partitionable and static slots; dynamic slots are carved out of a parent and
  so never add capacity.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

from factories.model import Capacity, MachineState, MachinetypeState, Totals

Ad = Mapping[str, Any]
RUNNING, STARTING, IDLE = "running", "starting", "idle"
_RUNNING_ACTIVITIES = frozenset({"Busy", "Retiring", "Suspended", "Vacating", "Killing"})


@dataclass(frozen=True, slots=True)
class CondorMapping:
    machinetype_attr: str = "VacMonMachinetype"
    slot_types: Mapping[int, str] = field(default_factory=dict)
    owner_vos: Mapping[str, str] = field(default_factory=dict)  # RemoteOwner user -> VO
    default_vo: str | None = None
    hs06_per_core: float | None = None
    max_wallclock_seconds: int = 86400


@dataclass(slots=True)
class SpaceSnapshot:
    machinetypes: list[MachinetypeState]
    machines: list[MachineState]  # running and starting slots
    totals: Totals
    capacity: Capacity


def load_ads(source: str | TextIO) -> list[dict[str, Any]]:
    """Parse `condor_status -json` output: one JSON array of ads (empty output -> [])."""
    text = source if isinstance(source, str) else source.read()
    if not text.strip():
        return []
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("condor_status -json output must be a JSON array of ads")
    return [ad for ad in data if isinstance(ad, dict)]


def slot_kind(ad: Ad) -> str:
    """`partitionable`, `dynamic` or `static` (ads without SlotType are static)."""
    if ad.get("PartitionableSlot") is True or ad.get("SlotType") == "Partitionable":
        return "partitionable"
    if ad.get("DynamicSlot") is True or ad.get("SlotType") == "Dynamic":
        return "dynamic"
    return "static"


def activity(ad: Ad) -> str:
    state, act = ad.get("State"), ad.get("Activity")
    if state == "Preempting" or (state == "Claimed" and act in _RUNNING_ACTIVITIES):
        return RUNNING
    if state == "Matched" or (state == "Claimed" and act == "Idle"):
        return STARTING
    return IDLE


def machinetype_of(ad: Ad, mapping: CondorMapping) -> str:
    named = ad.get(mapping.machinetype_attr)
    if isinstance(named, str) and named:
        return _clean(named)
    type_id = abs(int(ad.get("SlotTypeID") or 0))
    return _clean(mapping.slot_types.get(type_id, f"slot-type-{type_id}"))


def _clean(name: str) -> str:
    # Machinetype names are [a-z0-9-]+ on the wire (spec 1.4).
    out = "".join(c if c.isalnum() and c.isascii() else "-" for c in name.lower())
    return out.strip("-") or "unnamed"


def accepted_vos(ad: Ad) -> list[str]:
    value = ad.get("AcceptedVOs")
    items = value.split(",") if isinstance(value, str) else value
    return [str(v).strip() for v in items or () if str(v).strip()]


def vo_of(ad: Ad, mapping: CondorMapping) -> str | None:
    if activity(ad) != IDLE:
        for candidate in (ad.get("x509UserProxyVOName"), _group_vo(ad.get("AccountingGroup"))):
            if isinstance(candidate, str) and candidate:
                return candidate
        owner = str(ad.get("RemoteOwner") or "").split("@", 1)[0]
        if owner in mapping.owner_vos:
            return mapping.owner_vos[owner]
    vos = accepted_vos(ad)
    return vos[0] if vos else mapping.default_vo


def _group_vo(group: Any) -> str | None:
    if not isinstance(group, str) or not group:
        return None
    head = group.split(".", 1)[0]
    return head.removeprefix("group_") or None


def fqan_of(ad: Ad, vo: str | None) -> str | None:
    first = ad.get("x509UserProxyFirstFQAN")
    if isinstance(first, str) and first.startswith("/"):
        return first
    return f"/{vo}/Role=NULL/Capability=NULL" if vo else None


def _int(ad: Ad, name: str) -> int | None:
    value = ad.get(name)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def machine_of(ad: Ad, mapping: CondorMapping, now: int) -> MachineState:
    """A running or starting slot as a machine: pilot = machine, as Vcycle sees a VM."""
    cpus = _int(ad, "Cpus") or 1
    started = _int(ad, "JobStart") or _int(ad, "EnteredCurrentActivity")
    memory_mb = _int(ad, "Memory")
    load = ad.get("LoadAvg")
    vo = vo_of(ad, mapping)
    return MachineState(
        name=str(ad.get("Name") or ad.get("Machine") or "unknown"),
        state="Running" if activity(ad) == RUNNING else "Starting",
        machinetype=machinetype_of(ad, mapping),
        uuid=str(ad["GlobalJobId"]) if ad.get("GlobalJobId") else None,
        created_time=_int(ad, "EnteredCurrentState"),
        started_time=started,
        heartbeat_time=_int(ad, "LastHeardFrom") or now,
        num_processors=cpus,
        cpu_seconds=max(0, now - started) if started else 0,
        cpu_percentage=round(float(load) * 100, 1) if isinstance(load, int | float) else 0.0,
        hs06=cpus * mapping.hs06_per_core if mapping.hs06_per_core is not None else None,
        fqan=fqan_of(ad, vo),
        max_rss_bytes=memory_mb * 1048576 if memory_mb is not None else None,
    )


def snapshot(ads: Iterable[Ad], mapping: CondorMapping, now: int) -> SpaceSnapshot:
    """The machinetypes, busy machines, totals and capacity of the space these ads show."""
    ads = list(ads)
    machines = [machine_of(ad, mapping, now) for ad in ads if _is_job_slot(ad)]
    capacity_ads = [ad for ad in ads if slot_kind(ad) != "dynamic"]
    max_processors = sum(_int(ad, "TotalSlotCpus") or _int(ad, "Cpus") or 0 for ad in capacity_ads)
    types = sorted({machinetype_of(ad, mapping) for ad in ads})
    machinetypes = [_machinetype(name, ads, machines, mapping) for name in types]
    hs06 = sum(m.hs06 for m in machines if m.hs06 is not None)
    totals = Totals(
        processors=sum(m.num_processors for m in machines),
        machines=len(machines),
        hs06=hs06 if mapping.hs06_per_core is not None else None,
    )
    capacity = Capacity(max_processors, max_processors, mapping.hs06_per_core)
    return SpaceSnapshot(machinetypes, machines, totals, capacity)


def _is_job_slot(ad: Ad) -> bool:
    # A partitionable parent is the unclaimed remainder of a node, never a job itself.
    return slot_kind(ad) != "partitionable" and activity(ad) != IDLE


def _machinetype(
    name: str, ads: list[Ad], machines: list[MachineState], mapping: CondorMapping
) -> MachinetypeState:
    mine = [m for m in machines if m.machinetype == name]
    type_ads = [ad for ad in ads if machinetype_of(ad, mapping) == name]
    vos = Counter(v for v in (vo_of(ad, mapping) for ad in type_ads) if v)
    vo = vos.most_common(1)[0][0] if vos else mapping.default_vo
    per_cpu = [
        (_int(ad, "TotalSlotMemory") or _int(ad, "Memory") or 0)
        * 1048576
        // (_int(ad, "TotalSlotCpus") or _int(ad, "Cpus") or 1)
        for ad in type_ads
        if slot_kind(ad) != "dynamic"
    ]
    biggest = [_int(ad, "TotalSlotCpus") or _int(ad, "Cpus") or 1 for ad in type_ads]
    return MachinetypeState(
        name=name,
        running_machines=len(mine),
        running_processors=sum(m.num_processors for m in mine),
        running_hs06=(
            sum(m.hs06 or 0.0 for m in mine) if mapping.hs06_per_core is not None else None
        ),
        num_before_fizzle=sum(1 for m in mine if m.state == "Starting"),
        fqan=f"/{vo}/Role=NULL/Capability=NULL" if vo else None,
        bytes_per_processor=min(per_cpu) if per_cpu else 2048 * 1048576,
        max_wallclock_seconds=mapping.max_wallclock_seconds,
        max_processors=max(biggest) if biggest else None,
    )


class SlotTracker:
    """Remembers the busy slots of the previous poll; a slot that is gone has finished."""

    def __init__(self) -> None:
        self._previous: dict[str, MachineState] = {}

    def finished(self, current: Iterable[MachineState], now: int) -> list[MachineState]:
        current_by_name = {m.name: m for m in current}
        gone = [
            replace(m, state="Shut down", shutdown_time=None, stopped_time=now)
            for name, m in self._previous.items()
            if name not in current_by_name or current_by_name[name].uuid != m.uuid
        ]
        self._previous = current_by_name
        return gone
