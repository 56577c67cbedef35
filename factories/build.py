"""Typed builders for the three status messages, in the exact wire shape of each flavour.

Each builder returns a plain dict ready for `json.dumps` (spec vac-protocol.md 1.2-1.5).
Vac-flavoured messages carry the legacy aliases next to the modern names (switchable on the
flavour) and Vac's own fallbacks (1.0 HS06 per processor, processor counts read as float).
"""

from __future__ import annotations

from typing import Any

from factories.messages import FACTORY_STATUS, MACHINE_STATUS, MACHINETYPE_STATUS
from factories.model import (
    Capacity,
    HostStatus,
    MachineState,
    MachinetypeState,
    Sender,
    Totals,
)

Wire = dict[str, Any]

# Cookie of every message pushed to VacMon; only VacQuery replies carry a real one (spec 1.2).
PUSH_COOKIE = "0"


def envelope(sender: Sender, message_type: str, now: int, cookie: str = PUSH_COOKIE) -> Wire:
    flavour = sender.flavour
    out: Wire = {
        "message_type": message_type,
        "daemon_version": flavour.daemon_version,
        "vacquery_version": flavour.vacquery_version,
        "cookie": cookie,
        "space": sender.space,
        "site": sender.site_name,
        "factory": sender.factory,
        "time_sent": int(now),
    }
    if flavour.legacy_aliases:
        out["vac_version"] = flavour.daemon_version
    return out


def factory_status(
    sender: Sender, *, now: int, host: HostStatus, running: Totals, capacity: Capacity
) -> Wire:
    """One factory_status (spec 1.3): 38 keys for Vac 03.x, 27 (+2 with HS06) for Vcycle."""
    flavour = sender.flavour
    out = envelope(sender, FACTORY_STATUS, now)
    max_machines = capacity.max_machines
    if flavour.is_vac and max_machines is None:
        max_machines = capacity.max_processors
    out.update(
        running_processors=running.processors,
        running_machines=running.machines,
        max_processors=capacity.max_processors,
        max_machines=max_machines,
    )
    out.update(_factory_hs06(sender, running, capacity))
    out.update(_host_fields(host, with_responder=flavour.is_vac))
    if flavour.legacy_aliases:
        out.update(
            running_cpus=out["running_processors"],
            max_cpus=out["max_processors"],
            total_cpus=out["max_processors"],
            total_machines=out["max_machines"],
            total_hs06=out["max_hs06"],
            vac_disk_avail_kb=out["daemon_disk_avail_kb"],
            vac_disk_avail_inodes=out["daemon_disk_avail_inodes"],
        )
    return out


def _factory_hs06(sender: Sender, running: Totals, capacity: Capacity) -> Wire:
    flavour = sender.flavour
    per_processor = capacity.hs06_per_processor
    if flavour.is_vac:
        # Vac never omits HS06: unset means 1.0 per processor (spec 1.3).
        rate = 1.0 if per_processor is None else per_processor
        hs06 = running.hs06 if running.hs06 is not None else rate * running.processors
        return {"running_hs06": float(hs06), "max_hs06": rate * (capacity.max_processors or 0)}
    if per_processor is None:
        return {}
    if flavour.zero_hs06_totals:
        return {"running_hs06": 0.0, "max_hs06": 0.0}
    hs06 = running.hs06 if running.hs06 is not None else per_processor * running.processors
    return {
        "running_hs06": float(hs06),
        "max_hs06": per_processor * (capacity.max_processors or 0),
    }


def _host_fields(host: HostStatus, *, with_responder: bool) -> Wire:
    out: Wire = {
        "root_disk_avail_kb": host.root_disk_avail_kb,
        "root_disk_avail_inodes": host.root_disk_avail_inodes,
        "daemon_disk_avail_kb": host.daemon_disk_avail_kb,
        "daemon_disk_avail_inodes": host.daemon_disk_avail_inodes,
        "load_average": host.load_average,
        "kernel_version": host.kernel_version,
        "os_issue": host.os_issue,
        "boot_time": host.boot_time,
        "factory_heartbeat_time": host.factory_heartbeat_time,
        "mjf_heartbeat_time": host.mjf_heartbeat_time,
        "metadata_heartbeat_time": host.metadata_heartbeat_time,
        "mem_total_kb": host.mem_total_kb,
        "mem_used_kb": host.mem_used_kb,
        "swap_used_kb": host.swap_used_kb,
        "swap_free_kb": host.swap_free_kb,
    }
    if with_responder:
        out["responder_heartbeat_time"] = host.responder_heartbeat_time
    return out


def machinetype_status(
    sender: Sender, *, now: int, machinetype: MachinetypeState, num_machinetypes: int
) -> Wire:
    """One machinetype_status (spec 1.4); `num_machinetypes` is the size of this batch."""
    flavour = sender.flavour
    mt = machinetype
    out = envelope(sender, MACHINETYPE_STATUS, now)
    out.update(
        machinetype=mt.name,
        num_machinetypes=num_machinetypes,
        running_machines=mt.running_machines,
    )
    if flavour.is_vac:
        _vac_machinetype(out, mt, aliases=flavour.legacy_aliases)
    else:
        _modern_machinetype(out, mt, zero_hs06=flavour.zero_hs06_totals)
    if mt.fqan is not None:
        out["fqan"] = mt.fqan
    if flavour.machinetype_limits:
        out["bytes_per_processor"] = mt.bytes_per_processor
        out["max_wallclock_seconds"] = mt.max_wallclock_seconds
        if flavour.is_vac or mt.max_processors is not None:
            out["max_processors"] = mt.max_processors if mt.max_processors is not None else 1
    return out


def _vac_machinetype(out: Wire, mt: MachinetypeState, *, aliases: bool) -> None:
    # Vac reads jobfeatures/allocated_cpu with float(), so processor sums are floats.
    processors = float(mt.running_processors)
    hs06 = mt.running_hs06 if mt.running_hs06 is not None else processors
    out.update(
        running_processors=processors,
        running_hs06=float(hs06),
        num_before_fizzle=mt.num_before_fizzle,
        shutdown_message=mt.shutdown_message,
        shutdown_time=mt.shutdown_time,
        shutdown_machine=mt.shutdown_machine,
    )
    if aliases:
        out["running_cpus"] = processors


def _modern_machinetype(out: Wire, mt: MachinetypeState, *, zero_hs06: bool) -> None:
    processors = mt.running_processors
    out["running_processors"] = int(processors) if float(processors).is_integer() else processors
    if mt.running_hs06 is not None:
        out["running_hs06"] = 0.0 if zero_hs06 else float(mt.running_hs06)
    if mt.shutdown_message is not None:
        # Vcycle never sends these; a DODAS space that knows its last outcome does.
        out.update(
            shutdown_message=mt.shutdown_message,
            shutdown_time=mt.shutdown_time,
            shutdown_machine=mt.shutdown_machine,
        )


def machine_status(
    sender: Sender, *, now: int, machine: MachineState, cookie: str = PUSH_COOKIE
) -> Wire:
    """One machine_status (spec 1.5), normally sent once when the machine has finished."""
    flavour = sender.flavour
    m = machine
    out = envelope(sender, MACHINE_STATUS, now, cookie)
    out.update(
        machine=m.name,
        state=m.state,
        num_machines=m.num_machines,
        uuid=m.uuid,
        created_time=m.created_time,
        started_time=m.started_time,
        heartbeat_time=m.heartbeat_time,
        num_processors=m.num_processors,
        cpu_seconds=m.cpu_seconds,
        cpu_percentage=m.cpu_percentage,
        machinetype=m.machinetype,
        shutdown_message=m.shutdown_message,
        shutdown_time=m.shutdown_time,
    )
    if flavour.is_vac:
        out["machine_model"] = m.machine_model
        out["hs06"] = float(m.hs06 if m.hs06 is not None else m.num_processors)
    elif m.hs06 is not None:
        out["hs06"] = float(m.hs06)
    if m.fqan is not None and flavour.machine_fqan:
        out["fqan"] = m.fqan
    if flavour.legacy_aliases:
        out["num_cpus"] = m.num_processors
    return out
