"""What a lifecycle manager knows about itself, as plain typed values.

These are the inputs of the message builders, the reporter and the APEL writer. Field
meanings follow spec vac-protocol.md 1.3-1.5; `None` means "unknown" and becomes JSON null
(or an absent key where the real sender omits it).
"""

from __future__ import annotations

from dataclasses import dataclass

from factories.flavour import Flavour

# Vac's default `mb_per_processor` (2048 MiB) in bytes (spec 1.4).
DEFAULT_BYTES_PER_PROCESSOR = 2048 * 1048576
DEFAULT_MAX_WALLCLOCK_SECONDS = 86400
DEFAULT_FIZZLE_SECONDS = 600

# Vcycle's VacMon push happens on the first sighting of one of these (spec 1.5).
FINISHED_STATES = frozenset({"Shut down", "Failed", "Deleting"})


def site_from_space(space: str) -> str:
    """Vac's fallback site name: the space minus its first DNS label (spec 1.2)."""
    return space.split(".", 1)[1] if "." in space else space


@dataclass(frozen=True, slots=True)
class Sender:
    """Who speaks: the flavour, the space and the factory host (`os.uname()[1]`)."""

    flavour: Flavour
    space: str
    factory: str
    site: str | None = None  # gocdb_sitename, if configured

    @property
    def site_name(self) -> str:
        return self.site or site_from_space(self.space)


@dataclass(frozen=True, slots=True)
class HostStatus:
    """What a factory measures about its own host (see factories.collect)."""

    root_disk_avail_kb: int = 0
    root_disk_avail_inodes: int = 0
    daemon_disk_avail_kb: int = 0
    daemon_disk_avail_inodes: int = 0
    load_average: float | None = None
    kernel_version: str = ""
    os_issue: str = ""
    boot_time: int = 0
    mem_total_kb: int = 0
    mem_used_kb: int = 0
    swap_used_kb: int = 0
    swap_free_kb: int = 0
    factory_heartbeat_time: int = 0
    responder_heartbeat_time: int = 0
    mjf_heartbeat_time: int = 0
    metadata_heartbeat_time: int = 0


@dataclass(frozen=True, slots=True)
class Capacity:
    """The configured size of a factory (Vac) or space (Vcycle)."""

    max_processors: int | None
    max_machines: int | None = None  # Vac: equals max_processors (one-processor slots)
    hs06_per_processor: float | None = None  # None: HS06 not configured


@dataclass(frozen=True, slots=True)
class Totals:
    """Running totals of one factory at the end of a cycle."""

    processors: int
    machines: int
    hs06: float | None = None  # None: HS06 not configured


@dataclass(frozen=True, slots=True)
class MachinetypeState:
    """One machinetype on one factory (spec 1.4)."""

    name: str
    running_machines: int = 0
    running_processors: float = 0
    running_hs06: float | None = None
    num_before_fizzle: int = 0
    shutdown_message: str | None = None
    shutdown_time: int | None = None
    shutdown_machine: str | None = None
    fqan: str | None = None
    bytes_per_processor: int = DEFAULT_BYTES_PER_PROCESSOR
    max_wallclock_seconds: int = DEFAULT_MAX_WALLCLOCK_SECONDS
    max_processors: int | None = None  # Vac master sends 1 when unset; Vcycle omits it


@dataclass(frozen=True, slots=True)
class MachineState:
    """One logical machine (VM or container), as reported when it finishes (spec 1.5)."""

    name: str
    state: str
    machinetype: str | None = None
    uuid: str | None = None
    created_time: int | None = None
    started_time: int | None = None
    heartbeat_time: int | None = None
    num_processors: int = 1
    cpu_seconds: int = 0
    cpu_percentage: float = 0.0
    hs06: float | None = None  # total HS06 of the machine, not per processor
    shutdown_message: str | None = None
    shutdown_time: int | None = None
    fqan: str | None = None
    machine_model: str | None = None
    num_machines: int = 1  # Vac: slots on the factory; Vcycle: always 1
    # Not on the wire; used for APEL (spec 6): Vcycle's stop time and jobfeatures memory.
    stopped_time: int | None = None
    max_rss_bytes: int | None = None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


def vo_from_fqan(fqan: str | None) -> str | None:
    """`/lhcb/Role=NULL/Capability=NULL` -> `lhcb`, as VacMon derives it (spec 3.2)."""
    if not fqan or not fqan.startswith("/"):
        return None
    return fqan.split("/")[1] or None
