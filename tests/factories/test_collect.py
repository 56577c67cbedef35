from __future__ import annotations

import os
from types import SimpleNamespace

from factories.collect import (
    HostCollector,
    boot_time,
    disk_avail,
    load_average_15,
    memory,
    os_issue,
    vcycle_collector,
)

MEMINFO = """MemTotal:       32781300 kB
MemFree:         1920452 kB
MemAvailable:   20000000 kB
Buffers:          123456 kB
SwapTotal:       8388604 kB
SwapFree:        8312060 kB
HugePages_Total:       0
"""


def fake_proc(tmp_path, *, loadavg="0.52 1.20 5.98 3/812 12345\n", uptime="2592001.00 1.0\n"):
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "meminfo").write_text(MEMINFO)
    (proc / "loadavg").write_text(loadavg)
    (proc / "uptime").write_text(uptime)
    return proc


def fake_statvfs(table):
    def statvfs(path):
        bavail, frsize, favail = table[path]
        return SimpleNamespace(f_bavail=bavail, f_frsize=frsize, f_favail=favail)

    return statvfs


def test_memory_counts_page_cache_as_used_like_vac(tmp_path):
    proc = fake_proc(tmp_path)
    assert memory(proc / "meminfo") == {
        "mem_total_kb": 32781300,
        "mem_used_kb": 32781300 - 1920452,
        "swap_used_kb": 8388604 - 8312060,
        "swap_free_kb": 8312060,
    }


def test_the_load_average_is_the_fifteen_minute_one(tmp_path):
    assert load_average_15(fake_proc(tmp_path) / "loadavg") == 5.98


def test_an_unreadable_loadavg_gives_null(tmp_path):
    assert load_average_15(tmp_path / "missing") is None


def test_boot_time_is_now_minus_uptime_and_zero_when_unknown(tmp_path):
    proc = fake_proc(tmp_path)
    assert boot_time(proc / "uptime", clock=lambda: 1543000000.0) == 1543000000 - 2592001
    assert boot_time(tmp_path / "missing") == 0


def test_disk_avail_uses_the_non_root_blocks_and_inodes():
    statvfs = fake_statvfs({"/tmp": (2621440, 4096, 3200000)})
    assert disk_avail("/tmp", statvfs) == (10485760, 3200000)


def test_os_issue_takes_the_first_readable_file_and_falls_back_to_the_kernel(tmp_path):
    issue = tmp_path / "issue"
    issue.write_text("\\S\nKernel \\r on an \\m\n")
    assert os_issue([tmp_path / "issue.vac", issue]) == "\\S"
    assert os_issue([tmp_path / "none"], fallback="3.10.0") == "3.10.0"


def test_the_collector_reads_a_fake_host_end_to_end(tmp_path):
    proc = fake_proc(tmp_path)
    daemon = tmp_path / "vac"
    daemon.mkdir()
    for name in ("factory", "responder", "mjf", "metadata"):
        (daemon / f"{name}-heartbeat").touch()
    release = tmp_path / "redhat-release"
    release.write_text("CentOS Linux release 7.6.1810 (Core)\n")
    collector = HostCollector(
        daemon_dir=str(daemon),
        tmp_dir="/tmp",
        proc_dir=str(proc),
        issue_files=[release],
        statvfs=fake_statvfs(
            {"/tmp": (2621440, 4096, 3200000), str(daemon): (52428800, 4096, 26000000)}
        ),
        clock=lambda: 1543000000.0,
        kernel=lambda: "3.10.0-957.1.3.el7.x86_64",
    )
    host = collector.collect()
    assert (host.root_disk_avail_kb, host.daemon_disk_avail_kb) == (10485760, 209715200)
    assert host.daemon_disk_avail_inodes == 26000000
    assert host.load_average == 5.98
    assert host.os_issue == "CentOS Linux release 7.6.1810 (Core)"
    assert host.mem_total_kb == 32781300
    assert host.factory_heartbeat_time == int(os.stat(daemon / "factory-heartbeat").st_ctime)
    assert host.responder_heartbeat_time > 0


def test_the_vcycle_collector_has_no_responder_and_a_factory_heartbeat_of_now(tmp_path):
    proc = fake_proc(tmp_path)
    log = tmp_path / "https-vcycle.log"
    log.touch()
    collector = vcycle_collector(
        daemon_dir=str(tmp_path),
        proc_dir=str(proc),
        issue_files=[tmp_path / "none"],
        httpd_log=str(log),
        statvfs=fake_statvfs({"/tmp": (1, 1024, 1), str(tmp_path): (2, 1024, 2)}),
        clock=lambda: 1543000000.0,
    )
    host = collector.collect()
    assert host.factory_heartbeat_time == 1543000000
    assert host.responder_heartbeat_time == 0
    assert host.mjf_heartbeat_time == host.metadata_heartbeat_time == int(log.stat().st_ctime)
    assert host.os_issue == host.kernel_version  # no issue file: uname -r
