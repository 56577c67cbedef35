"""Collectors for what a factory measures about its own host (spec vac-protocol.md 1.3).

Every source is injectable (paths, `statvfs`, clock, `uname`) so tests can point the
collectors at a fake /proc built from tmp files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from factories.model import HostStatus

StatVfs = Callable[[str], os.statvfs_result]

# Vac 03.x reads the redhat-release files, Vac <= 02.x and Vcycle the issue files (spec 1.3).
VAC_ISSUE_FILES = ("/etc/redhat-release.vac", "/etc/redhat-release")
VCYCLE_ISSUE_FILES = ("/etc/issue.vac", "/etc/issue")
VAC_HEARTBEATS = {
    "factory_heartbeat_time": "factory-heartbeat",
    "responder_heartbeat_time": "responder-heartbeat",
    "mjf_heartbeat_time": "mjf-heartbeat",
    "metadata_heartbeat_time": "metadata-heartbeat",
}


def disk_avail(path: str, statvfs: StatVfs = os.statvfs) -> tuple[int, int]:
    """(KiB available to non-root, inodes available) on the filesystem holding `path`."""
    try:
        st = statvfs(path)
    except OSError:
        return 0, 0
    return st.f_bavail * st.f_frsize // 1024, st.f_favail


def read_meminfo(path: str | Path = "/proc/meminfo") -> dict[str, int]:
    """The kB values of /proc/meminfo by name; an unreadable file gives an empty dict."""
    values: dict[str, int] = {}
    try:
        text = Path(path).read_text()
    except OSError:
        return values
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[name.strip()] = int(parts[0])
    return values


def memory(path: str | Path = "/proc/meminfo") -> dict[str, int]:
    """mem_total_kb, mem_used_kb (total - free: page cache counts as used, as Vac does),
    swap_used_kb and swap_free_kb."""
    info = read_meminfo(path)
    total, free = info.get("MemTotal", 0), info.get("MemFree", 0)
    swap_total, swap_free = info.get("SwapTotal", 0), info.get("SwapFree", 0)
    return {
        "mem_total_kb": total,
        "mem_used_kb": total - free,
        "swap_used_kb": swap_total - swap_free,
        "swap_free_kb": swap_free,
    }


def load_average_15(path: str | Path = "/proc/loadavg") -> float | None:
    """The 15-minute load average: the third field of /proc/loadavg."""
    try:
        return float(Path(path).read_text().split()[2])
    except (OSError, IndexError, ValueError):
        return None


def boot_time(path: str | Path = "/proc/uptime", clock: Callable[[], float] = time.time) -> int:
    """now - uptime, or 0 when unknown (spec 1.3)."""
    try:
        uptime = float(Path(path).read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return 0
    return int(clock() - uptime)


def os_issue(files: Sequence[str | Path] = VAC_ISSUE_FILES, fallback: str = "") -> str:
    """First line, stripped, of the first readable file; `fallback` (uname -r) otherwise.

    CentOS 7's /etc/issue starts with the literal `\\S`, which Vcycle sends as is."""
    for name in files:
        try:
            with open(name) as handle:
                return handle.readline().strip()
        except OSError:
            continue
    return fallback


def ctime(path: str | Path) -> int:
    """A file's ctime as int epoch seconds, 0 if it does not exist (heartbeat files)."""
    try:
        return int(os.stat(path).st_ctime)
    except OSError:
        return 0


@dataclass
class HostCollector:
    """Collects a HostStatus; defaults are a Vac factory's real paths."""

    daemon_dir: str = "/var/lib/vac"
    tmp_dir: str = "/tmp"
    proc_dir: str = "/proc"
    issue_files: Sequence[str | Path] = VAC_ISSUE_FILES
    # HostStatus field -> file name under daemon_dir (or an absolute path).
    heartbeats: Mapping[str, str] = field(default_factory=lambda: dict(VAC_HEARTBEATS))
    # HostStatus fields that are simply "now" (Vcycle's factory heartbeat).
    now_heartbeats: Sequence[str] = ()
    statvfs: StatVfs = os.statvfs
    clock: Callable[[], float] = time.time
    kernel: Callable[[], str] = lambda: os.uname().release

    def collect(self) -> HostStatus:
        root_kb, root_inodes = disk_avail(self.tmp_dir, self.statvfs)
        daemon_kb, daemon_inodes = disk_avail(self.daemon_dir, self.statvfs)
        kernel = self.kernel()
        proc = Path(self.proc_dir)
        return HostStatus(
            root_disk_avail_kb=root_kb,
            root_disk_avail_inodes=root_inodes,
            daemon_disk_avail_kb=daemon_kb,
            daemon_disk_avail_inodes=daemon_inodes,
            load_average=load_average_15(proc / "loadavg"),
            kernel_version=kernel,
            os_issue=os_issue(self.issue_files, fallback=kernel),
            boot_time=boot_time(proc / "uptime", self.clock),
            **memory(proc / "meminfo"),
            **self._heartbeats(),
        )

    def _heartbeats(self) -> dict[str, int]:
        times = {
            name: ctime(Path(self.daemon_dir) / path) for name, path in self.heartbeats.items()
        }
        times.update(dict.fromkeys(self.now_heartbeats, int(self.clock())))
        return times


def vcycle_collector(
    *,
    daemon_dir: str = "/var/lib/vcycle",
    tmp_dir: str = "/tmp",
    proc_dir: str = "/proc",
    issue_files: Sequence[str | Path] = VCYCLE_ISSUE_FILES,
    httpd_log: str = "/var/log/httpd/https-vcycle.log",
    statvfs: StatVfs = os.statvfs,
    clock: Callable[[], float] = time.time,
) -> HostCollector:
    """A collector with Vcycle's sources (spec 1.3): /var/lib/vcycle, /etc/issue, the httpd
    log's ctime as the MJF and metadata heartbeat, no responder, factory heartbeat = now."""
    return HostCollector(
        daemon_dir=daemon_dir,
        tmp_dir=tmp_dir,
        proc_dir=proc_dir,
        issue_files=issue_files,
        heartbeats={"mjf_heartbeat_time": httpd_log, "metadata_heartbeat_time": httpd_log},
        now_heartbeats=("factory_heartbeat_time",),
        statvfs=statvfs,
        clock=clock,
    )
