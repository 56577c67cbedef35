"""Field tables for the three status messages (spec vac-protocol.md sections 1.2-1.5).

Each known field has a kind. Numbers arrive as ints or floats regardless of the kind (spec
1.8: Vac reads processor counts with float(), so `2.0` is common); `INT` fields are coerced
to int when the value is integral. `null` is accepted for every optional field.
"""

from __future__ import annotations

from enum import Enum


class Kind(Enum):
    STR = "str"
    INT = "int"
    FLOAT = "float"
    TIME = "time"  # integer Unix epoch seconds


FACTORY_STATUS = "factory_status"
MACHINETYPE_STATUS = "machinetype_status"
MACHINE_STATUS = "machine_status"
MESSAGE_TYPES = (FACTORY_STATUS, MACHINETYPE_STATUS, MACHINE_STATUS)

ENVELOPE: dict[str, Kind] = {
    "message_type": Kind.STR,
    "daemon_version": Kind.STR,
    "vacquery_version": Kind.STR,
    "cookie": Kind.STR,
    "space": Kind.STR,
    "site": Kind.STR,
    "factory": Kind.STR,
    "time_sent": Kind.TIME,
}

FACTORY_FIELDS: dict[str, Kind] = {
    "running_processors": Kind.INT,
    "running_machines": Kind.INT,
    "running_hs06": Kind.FLOAT,
    "max_processors": Kind.INT,
    "max_machines": Kind.INT,
    "max_hs06": Kind.FLOAT,
    "root_disk_avail_kb": Kind.INT,
    "root_disk_avail_inodes": Kind.INT,
    "daemon_disk_avail_kb": Kind.INT,
    "daemon_disk_avail_inodes": Kind.INT,
    "load_average": Kind.FLOAT,
    "kernel_version": Kind.STR,
    "os_issue": Kind.STR,
    "boot_time": Kind.TIME,
    "factory_heartbeat_time": Kind.TIME,
    "responder_heartbeat_time": Kind.TIME,
    "mjf_heartbeat_time": Kind.TIME,
    "metadata_heartbeat_time": Kind.TIME,
    "mem_total_kb": Kind.INT,
    "mem_used_kb": Kind.INT,
    "swap_used_kb": Kind.INT,
    "swap_free_kb": Kind.INT,
}

MACHINETYPE_FIELDS: dict[str, Kind] = {
    "machinetype": Kind.STR,
    "num_machinetypes": Kind.INT,
    "running_machines": Kind.INT,
    "running_processors": Kind.INT,
    "running_hs06": Kind.FLOAT,
    "num_before_fizzle": Kind.INT,
    "shutdown_message": Kind.STR,
    "shutdown_time": Kind.TIME,
    "shutdown_machine": Kind.STR,
    "fqan": Kind.STR,
    "bytes_per_processor": Kind.INT,
    "max_wallclock_seconds": Kind.INT,
    "min_wallclock_seconds": Kind.INT,
    "max_processors": Kind.INT,
    "min_processors": Kind.INT,
}

MACHINE_FIELDS: dict[str, Kind] = {
    "machine": Kind.STR,
    "state": Kind.STR,
    "num_machines": Kind.INT,
    "machine_model": Kind.STR,
    "uuid": Kind.STR,
    "created_time": Kind.TIME,
    "started_time": Kind.TIME,
    "heartbeat_time": Kind.TIME,
    "num_processors": Kind.INT,
    "cpu_seconds": Kind.INT,
    "cpu_percentage": Kind.FLOAT,
    "hs06": Kind.FLOAT,
    "machinetype": Kind.STR,
    "shutdown_message": Kind.STR,
    "shutdown_time": Kind.TIME,
    "fqan": Kind.STR,
}

FIELDS: dict[str, dict[str, Kind]] = {
    FACTORY_STATUS: {**ENVELOPE, **FACTORY_FIELDS},
    MACHINETYPE_STATUS: {**ENVELOPE, **MACHINETYPE_FIELDS},
    MACHINE_STATUS: {**ENVELOPE, **MACHINE_FIELDS},
}

# Legacy names and the modern field each one fills when the modern one is absent.
# vacmond's own fix-ups (spec 3.2), plus two it missed: `max_cpus` (Vac 2016 sent it without
# `total_cpus`, spec 1.3) and `num_cpus` in machine_status (spec 1.5).
_COMMON_ALIASES = {"vac_version": "daemon_version", "running_cpus": "running_processors"}
ALIASES: dict[str, dict[str, str]] = {
    FACTORY_STATUS: {
        **_COMMON_ALIASES,
        "total_cpus": "max_processors",
        "max_cpus": "max_processors",
        "total_machines": "max_machines",
        "total_hs06": "max_hs06",
        "vac_disk_avail_kb": "daemon_disk_avail_kb",
        "vac_disk_avail_inodes": "daemon_disk_avail_inodes",
    },
    MACHINETYPE_STATUS: {
        **_COMMON_ALIASES,
        "total_machines": "running_machines",
        "total_hs06": "running_hs06",
    },
    MACHINE_STATUS: {"vac_version": "daemon_version", "num_cpus": "num_processors"},
}

# Keys that identify the sender; a message without them cannot be stored or deduplicated.
REQUIRED: dict[str, tuple[str, ...]] = {
    FACTORY_STATUS: ("space", "factory", "time_sent"),
    MACHINETYPE_STATUS: ("space", "factory", "time_sent", "machinetype"),
    MACHINE_STATUS: ("space", "factory", "time_sent", "machine"),
}

# Keys not stored: `method` is the pre-01.00 discriminator and carries nothing that
# message_type does not; the signature keys (factories.signing) are checked on receipt and
# recorded as the message's `trusted` flag.
IGNORED_LEGACY = frozenset({"method", "hmac_sha256", "key_id"})

# Every alias must name a field of its own message type (a stray one once let a single
# datagram raise KeyError in the receiver).
for _type, _aliases in ALIASES.items():
    for _legacy, _modern in _aliases.items():
        if _modern not in FIELDS[_type]:
            raise RuntimeError(f"alias {_legacy} of {_type} names unknown field {_modern}")
