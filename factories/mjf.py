"""Machine/Job Features and job outputs (spec vac-protocol.md 7, HSF-TN-2016-04).

Shutdown-message code families, readers for `joboutputs/shutdown_message` and heartbeat
files, and writers for the `machinefeatures/` and `jobfeatures/` directories a manager
offers to its machines. Every key is one small file holding the bare value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path


class ShutdownCode(IntEnum):
    """The code families of `joboutputs/shutdown_message` (spec 7.3)."""

    HOST_REQUEST = 100
    SUCCESS = 200
    NO_WORK = 300
    BANNED = 400
    SITE_PROBLEM = 500
    GRID_PROBLEM = 600
    TRANSIENT_ERROR = 700

    @property
    def text(self) -> str:
        return _TEXTS[self]

    @classmethod
    def family(cls, code: int) -> ShutdownCode | None:
        """The family of any code in 100-799 (`301` -> NO_WORK), else None."""
        try:
            return cls(code // 100 * 100) if 100 <= code < 800 else None
        except ValueError:
            return None


_TEXTS = {
    ShutdownCode.HOST_REQUEST: "Shutdown as requested by the host or hypervisor",
    ShutdownCode.SUCCESS: "Intended work completed ok",
    ShutdownCode.NO_WORK: "No more work available from the task queue",
    ShutdownCode.BANNED: "Site, host or VM is currently banned or disabled",
    ShutdownCode.SITE_PROBLEM: "Problem with the environment, VM or contextualisation of the site",
    ShutdownCode.GRID_PROBLEM: "Grid-wide problem with the job agent or application",
    ShutdownCode.TRANSIENT_ERROR: "Transient error related to the job agent or application",
}

# Messages the managers write themselves (spec 7.3).
VAC_HEARTBEAT_NOT_CREATED = "700 Heartbeat file not created"
VAC_HEARTBEAT_NOT_UPDATED = "700 Heartbeat file not updated"
VCYCLE_FAILED_TO_START = "700 Failed to start"
VCYCLE_EXCEEDED_WALLCLOCK = "700 Exceeded max_wallclock_seconds"
VCYCLE_HEARTBEAT_NOT_UPDATED = "700 Heartbeat file not updated"
VCYCLE_PASSED_SHUTDOWNTIME = "700 Passed shutdowntime"


@dataclass(frozen=True, slots=True)
class ShutdownMessage:
    line: str  # the first line, stripped, exactly as the machine wrote it
    time: int | None = None  # ctime of the file

    @property
    def code(self) -> int | None:
        head = self.line.split(" ", 1)[0]
        return int(head) if head.isdigit() else None

    @property
    def family(self) -> ShutdownCode | None:
        code = self.code
        return ShutdownCode.family(code) if code is not None else None


def vac_is_abort(code: int | None) -> bool:
    """Vac 03.x counts codes >= 300 as aborts (700 included since 03.00)."""
    return code is not None and code >= 300


def vcycle_is_abort(code: int | None, lived_seconds: int, fizzle_seconds: int) -> bool:
    """Vcycle: codes 300-699, or a machine that stopped within fizzle_seconds."""
    return (code is not None and 300 <= code < 700) or lived_seconds < fizzle_seconds


def read_shutdown_message(joboutputs: str | Path) -> ShutdownMessage | None:
    """The first line of `joboutputs/shutdown_message` and its ctime, or None."""
    path = Path(joboutputs) / "shutdown_message"
    try:
        with open(path, errors="replace") as handle:
            line = handle.readline().strip()
        return ShutdownMessage(line, int(os.stat(path).st_ctime))
    except OSError:
        return None


def heartbeat_time(path: str | Path) -> int | None:
    """ctime of a heartbeat file (the machinetype's `heartbeat_file` in joboutputs, or
    Vac's per-machine `heartbeat`); None if it does not exist."""
    try:
        return int(os.stat(path).st_ctime)
    except OSError:
        return None


@dataclass(frozen=True, slots=True)
class VacHeartbeat:
    cpu_seconds: int
    cpu_percentage: float
    time: int


def read_vac_heartbeat(path: str | Path) -> VacHeartbeat | None:
    """Vac's per-machine `heartbeat` file: `"<cpu_seconds> <cpu%.1f>"` (spec 7.1)."""
    try:
        fields = Path(path).read_text().split()
        return VacHeartbeat(int(fields[0]), float(fields[1]), int(os.stat(path).st_ctime))
    except (OSError, IndexError, ValueError):
        return None


def write_vac_heartbeat(path: str | Path, cpu_seconds: int, cpu_percentage: float) -> None:
    Path(path).write_text(f"{cpu_seconds} {cpu_percentage:.1f}")


@dataclass(frozen=True, slots=True)
class MachineFeatures:
    processors: int
    shutdowntime: int
    hs06: float | None = None  # total for the machine; the file exists only if configured
    extra: dict[str, str] = field(default_factory=dict)  # machinefeatures_option_<name>

    def files(self) -> dict[str, str]:
        out = {
            "total_cpu": str(self.processors),
            "phys_cores": str(self.processors),
            "log_cores": str(self.processors),
            "jobslots": "1",
            "shutdowntime": str(self.shutdowntime),
        }
        if self.hs06 is not None:
            out["hs06"] = str(self.hs06)
        out.update(self.extra)
        return out


@dataclass(frozen=True, slots=True)
class JobFeatures:
    job_id: str
    processors: int
    jobstart_secs: int
    shutdowntime_job: int
    hs06_job: float | None = None
    mb_per_processor: int = 2048

    @property
    def max_rss_bytes(self) -> int:
        return self.mb_per_processor * self.processors * 1048576

    def files(self) -> dict[str, str]:
        wall = max(0, self.shutdowntime_job - self.jobstart_secs)
        out = {
            "shutdowntime_job": str(self.shutdowntime_job),
            "cpufactor_lrms": "1.0",
            "cpu_limit_secs": str(wall * self.processors),
            "cpu_limit_secs_lrms": str(wall * self.processors),
            "wall_limit_secs": str(wall),
            "wall_limit_secs_lrms": str(wall),
            "jobstart_secs": str(self.jobstart_secs),
            "max_rss_bytes": str(self.max_rss_bytes),
            # MJF defines mem_limit_MB in decimal megabytes, unlike mb_per_processor.
            "mem_limit_MB": str(self.max_rss_bytes // 1_000_000),
            "allocated_cpu": str(self.processors),
            "allocated_CPU": str(self.processors),
            "job_id": self.job_id,
        }
        if self.hs06_job is not None:
            out["hs06_job"] = str(self.hs06_job)
        return out


def write_features(directory: str | Path, files: dict[str, str]) -> None:
    """Write one file per key; each is replaced atomically so a reader never sees half."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    for name, value in files.items():
        tmp = target / f".{name}.tmp"
        tmp.write_text(value)
        os.replace(tmp, target / name)


def read_features(directory: str | Path) -> dict[str, str]:
    """All keys of a machinefeatures/jobfeatures directory, values stripped."""
    out: dict[str, str] = {}
    target = Path(directory)
    if not target.is_dir():
        return out
    for path in sorted(target.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            out[path.name] = path.read_text(errors="replace").strip()
    return out
