#!/usr/bin/env python
"""Ingest figures on this machine, printed in one run (issue 17):

1. the raw recvfrom rate of a bare Python socket loop (the ceiling), beside the load average;
2. a burst of --count datagrams (default 100,000) sent as fast as possible, end to end
   UDP -> stored and counted `accepted`: the sustained rate, its ratio to the bare loop,
   what was lost (VacMon's `queue_full`, the kernel's `kernel_buffer_full`, not stored) and
   the listener's peak RSS;
3. loss and p99 message-to-queryable latency at a fixed offered rate (default 20,000 msg/s
   for 60 s), measured with marker messages, and the listener's peak RSS;
4. with --database-url postgres://..., (2) on PostgreSQL too, and two `listen_udp
   --reuse-port` processes against one, side by side;
5. with --service, (2) and (3) again with the whole service started as `make run` does
   (`manage.py runservice`: web, UDP listener, Celery worker and beat).

The listener runs as `manage.py listen_udp` in its own process on a fresh database under a
temporary VACMON_VAR_DIR. Everything is on 127.0.0.1 with ephemeral ports. With `--store
elasticsearch` the burst (2) is run a second time with the listener writing to the cluster
at ELASTICSEARCH_URL (under a fresh prefix, ELASTICSEARCH_LIFECYCLE=none unless set).

Usage: bench/ingest.py [--count N] [--rate R] [--duration S] [--store elasticsearch]
                       [--database-url postgres://...] [--service]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import process_cpu  # noqa: E402
from tests import samples  # noqa: E402
from tests.processes import descendants  # noqa: E402

FACTORY = json.loads(samples.VAC_FACTORY)
MACHINETYPE = json.loads(samples.VAC_MACHINETYPE)


def templates() -> list[str]:
    """Message texts with a slot for a unique sender and time, in a realistic mix: each
    factory cycle is one factory_status and two machinetype_status."""
    out = []
    for base in (FACTORY, MACHINETYPE, dict(MACHINETYPE, machinetype="atlas")):
        text = json.dumps(dict(base, factory="F%(f)d.bench", time_sent=123456789))
        out.append(text.replace("123456789", "%(t)d"))
    return out


SENDERS = 200_000


def message(i: int, tmpls: list[str], sent: int) -> bytes:
    # 200,000 factories each send at most one cycle (three messages) per second, so natural
    # keys stay distinct up to 600,000 msg/s while time_sent stays the real (unskewed) time.
    return (tmpls[i % 3] % {"f": i // 3 % SENDERS, "t": sent}).encode()


SOCKETS = 16


def blast(port: int, count: int, rate: float, done: mp.Value) -> None:  # type: ignore[type-arg]
    tmpls = templates()
    # Several source ports, as a fleet has: SO_REUSEPORT spreads datagrams over listeners
    # by source address and port, so one sender socket would feed one listener only.
    socks = []
    for _ in range(SOCKETS):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        socks.append(sock)
    start = time.perf_counter()
    sent = int(time.time())
    for i in range(count):
        if i % 100 == 0:
            sent = int(time.time())
            ahead = i / rate - (time.perf_counter() - start) if rate else 0
            if ahead > 0:
                time.sleep(ahead)
        socks[i % SOCKETS].sendto(message(i, tmpls, sent), ("127.0.0.1", port))
    done.value = time.perf_counter() - start


def raw_recv_rate(seconds: float = 3.0) -> float:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.5)
    done = mp.Value("d", 0.0)
    sender = mp.Process(target=blast, args=(sock.getsockname()[1], 10**8, 0, done))
    sender.start()
    received = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        sock.recvfrom(65536)
        received += 1
    elapsed = time.perf_counter() - start
    sender.terminate()
    sender.join()
    sock.close()
    return received / elapsed


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


class Database:
    """A fresh database for one run: SQLite under var_dir, or a new PostgreSQL database."""

    def __init__(self, var_dir: str, url: str = "") -> None:
        self.pg = url.startswith("postgres")
        if self.pg:
            import psycopg

            base, _, _ = url.rpartition("/")
            self.name = f"vacmon_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {self.name}")
            self.url = f"{base}/{self.name}"
            self.admin_url = f"{base}/postgres"
        else:
            self.url = f"sqlite:///{Path(var_dir) / 'vacmon.sqlite3'}"
        self._conns: dict[int, Any] = {}

    def conn(self) -> Any:
        """One connection per thread (the marker probe reads beside the main thread)."""
        ident = threading.get_ident()
        if ident not in self._conns:
            if self.pg:
                import psycopg

                self._conns[ident] = psycopg.connect(self.url, autocommit=True)
            else:
                path = self.url.removeprefix("sqlite:///")
                self._conns[ident] = sqlite3.connect(path, timeout=30, check_same_thread=False)
        return self._conns[ident]

    def one(self, sql: str, args: tuple[object, ...] = ()) -> Any:
        if self.pg:
            sql = sql.replace("?", "%s")
        return self.conn().execute(sql, args).fetchone()

    def all(self, sql: str) -> list[Any]:
        return list(self.conn().execute(sql).fetchall())

    def drop(self) -> None:
        for conn in self._conns.values():
            conn.close()
        if self.pg:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


class Listener:
    """`manage.py listen_udp` (one, or several on one port with --reuse-port), or the whole
    service as `make run` starts it (`manage.py runservice`)."""

    def __init__(
        self,
        var_dir: str,
        store: str = "embedded",
        database_url: str = "",
        listeners: int = 1,
        service: bool = False,
    ) -> None:
        self.db = Database(var_dir, database_url)
        # One loopback source stands for the whole simulated fleet: no per-source name budget.
        env = dict(
            os.environ, VACMON_VAR_DIR=var_dir, DATABASE_URL=self.db.url, VACMON_NAME_BUDGET="0"
        )
        self.es_url = ""
        if store == "elasticsearch":
            self.es_url = os.environ["ELASTICSEARCH_URL"].rstrip("/")
            self.prefix = f"vacmon-bench-{uuid.uuid4().hex[:8]}-"
            env.update(
                ELASTICSEARCH_PREFIX=self.prefix,
                ELASTICSEARCH_LIFECYCLE=os.environ.get("ELASTICSEARCH_LIFECYCLE", "none"),
                VACMON_SPOOL_DIR=str(Path(var_dir) / "spool"),
            )
        else:
            env.pop("ELASTICSEARCH_URL", None)
        self.env = env
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        self.procs = self._start_service(var_dir) if service else self._start(var_dir, listeners)

    def _start(self, var_dir: str, listeners: int) -> list[subprocess.Popen[bytes]]:
        procs = []
        self.port = 0
        for i in range(listeners):
            port_file = Path(var_dir) / f"port{i}"
            args = ["--host", "127.0.0.1", "--port", str(self.port), "--port-file", str(port_file)]
            procs.append(self._popen(["listen_udp", *args, "--reuse-port"]))
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.05)
            self.port = int(port_file.read_text())
        self.listeners = [p.pid for p in procs]
        return procs

    def _start_service(self, var_dir: str) -> list[subprocess.Popen[bytes]]:
        self.port = free_port(socket.SOCK_DGRAM)
        http = f"127.0.0.1:{free_port(socket.SOCK_STREAM)}"
        self.env.update(VACMON_UDP_HOST="127.0.0.1", VACMON_UDP_PORT=str(self.port))
        self.env.update(VACMON_HTTP_BIND=http, DJANGO_DEBUG="true")  # as `make run` does
        self.env.update(CELERY_BROKER_URL=f"filesystem://{var_dir}/celery")
        proc = self._popen(["runservice"], new_session=True)
        deadline = time.monotonic() + 60
        self.listeners = []
        while not self.listeners and time.monotonic() < deadline:
            time.sleep(0.2)
            self.listeners = [p for p in descendants(proc.pid) if is_listener(p)]
        while not udp_bound(self.port) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # the listener's workers start just behind its socket
        return [proc]

    def _popen(self, command: list[str], new_session: bool = False) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=new_session,
        )

    def stored(self) -> int:
        if self.es_url:
            return self._es_count()
        return sum(
            self.db.one(f"SELECT count(*) FROM vacmon_{t}")[0]
            for t in ("factorystatus", "machinetypestatus")
        )

    def has_message(self, body: dict[str, Any]) -> bool:
        """Whether the factory_status `body` is stored, looked up by its natural key (the
        table's unique index): a scan for it would cost the machine more with every row
        stored, and the probe shares the cores with the listener it measures."""
        key = (body["site"], body["space"], body["factory"], body["time_sent"])
        sql = (
            "SELECT 1 FROM vacmon_factorystatus "
            "WHERE site = ? AND space = ? AND factory = ? AND time_sent = ?"
        )
        return bool(self.db.one(sql, key))

    def _es_count(self) -> int:
        streams = f"{self.prefix}factory_status,{self.prefix}machinetype_status"
        options = "ignore_unavailable=true&allow_no_indices=true"
        refresh = urllib.request.Request(f"{self.es_url}/{streams}/_refresh?{options}", b"")
        urllib.request.urlopen(refresh, timeout=30).read()
        with urllib.request.urlopen(f"{self.es_url}/{streams}/_count?{options}", timeout=30) as r:
            return int(json.load(r)["count"])

    def counters(self) -> dict[str, int]:
        rows = self.db.all("SELECT channel, name, reason, value FROM vacmon_ingestcounter")
        return {
            f"{name}{':' + reason if reason else ''}": value
            for channel, name, reason, value in rows
            if channel == "udp"
        }

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds (user + system) spent so far by the listening processes, by their
        parse/write workers, and (on PostgreSQL) by the server's backends for this database."""
        out = {"listener": sum(map(cpu_of, self.listeners))}
        workers = set().union(*(descendants(pid) for pid in self.listeners))
        out["workers"] = sum(map(cpu_of, workers))
        if self.db.pg:
            rows = self.db.all(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            out["server"] = sum(cpu_of(pid) for (pid,) in rows)
        return out

    def batches(self) -> tuple[int, float]:
        """How many store writes the listeners made, and their mean size in messages
        (from the write statistics they keep in the database)."""
        if self.es_url:
            return 0, 0.0
        rows = dict(self.db.all("SELECT key, value FROM vacmon_storewritestat"))
        writes = sum(v for k, v in rows.items() if k not in ("sum", "messages"))
        return int(writes), rows.get("messages", 0.0) / writes if writes else 0.0

    def peak_rss_mb(self) -> float:
        """The largest peak RSS of a listening process (its workers have their own)."""
        peaks = [0.0]
        for pid in self.listeners:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(90)
        self.db.drop()


def cpu_of(pid: int) -> float:
    """User plus system CPU seconds of one process (0 once it is gone)."""
    return process_cpu(pid)[1]


def udp_bound(port: int) -> bool:
    """Something listens on this UDP port (datagrams sent before that are lost)."""
    wanted = f":{port:04X}"
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            if line.split()[1].endswith(wanted):
                return True
    return False


def is_listener(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return False
    # The listening process itself, not the workers it forks (those share its cmdline).
    parent_cmd = b""
    try:
        ppid = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
        parent_cmd = Path(f"/proc/{ppid}/cmdline").read_bytes()
    except (FileNotFoundError, IndexError):
        pass
    return b"listen_udp" in cmdline and b"listen_udp" not in parent_cmd


def wait_stored(listener: Listener, expected: int, idle_limit: float = 10.0) -> tuple[int, float]:
    """Wait until `expected` rows are stored or the count stops growing; return (n, when)."""
    last, last_change = -1, time.perf_counter()
    while True:
        n = listener.stored()
        now = time.perf_counter()
        if n != last:
            last, last_change = n, now
        if n >= expected or now - last_change > idle_limit:
            return n, last_change
        time.sleep(0.5 if listener.es_url else 0.05)


def end_to_end(count: int, **how: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as var_dir:
        listener = Listener(var_dir, **how)
        done = mp.Value("d", 0.0)
        start = time.perf_counter()
        sender = mp.Process(target=blast, args=(listener.port, count, 0, done))
        sender.start()
        sender.join()
        n, when = wait_stored(listener, count)
        # Read before the server's backends can go: they end with their connections.
        cpu = listener.cpu_seconds()
        time.sleep(1.5)  # the listener saves its loss counters once a second
        figures = {
            "cpu": cpu,
            "batches": listener.batches(),
            "rate": n / (when - start),
            "not_stored": count - n,
            "counters": listener.counters(),
            "rss": listener.peak_rss_mb(),
            "load": load(),
        }
        listener.stop()
        return figures


def markers(listener: Listener, stop: threading.Event, out: list[float]) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    i = 0
    while not stop.is_set():
        i += 1
        name = f"marker-{i}"
        body = dict(FACTORY, factory=name, time_sent=int(time.time()))
        sent = time.perf_counter()
        sock.sendto(json.dumps(body).encode(), ("127.0.0.1", listener.port))
        while not stop.is_set():
            if listener.has_message(body):
                out.append(time.perf_counter() - sent)
                break
            time.sleep(0.005)
        time.sleep(0.1)


def fixed_rate(rate: float, duration: float, **how: Any) -> dict[str, Any]:
    count = int(rate * duration)
    with tempfile.TemporaryDirectory() as var_dir:
        listener = Listener(var_dir, **how)
        latencies: list[float] = []
        stop = threading.Event()
        probe = threading.Thread(target=markers, args=(listener, stop, latencies))
        done = mp.Value("d", 0.0)
        sender = mp.Process(target=blast, args=(listener.port, count, rate, done))
        probe.start()
        sender.start()
        sender.join()
        stop.set()
        probe.join()
        markers_sent = len(latencies)
        n, _ = wait_stored(listener, count + markers_sent)
        figures = {"rss": listener.peak_rss_mb(), "load": load(), "sent": count}
        listener.stop()
        figures["lost"] = count - min(count, n - markers_sent)
        latencies.sort()
        figures["p99"] = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
        return figures


def show_burst(label: str, f: dict[str, Any], bare: float, count: int) -> None:
    lost = {k: v for k, v in f["counters"].items() if k.startswith("rejected")}
    print(
        f"{label:<38} {f['rate']:>8,.0f} msg/s = {f['rate'] / bare:.3f} of the bare loop; "
        f"{count:,} sent, {f['not_stored']:,} not stored, counted lost {lost or 0}; "
        f"listener peak RSS {f['rss']:,.0f} MB  ({f['load']})",
        flush=True,
    )
    cpu = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in f["cpu"].items())
    writes, mean = f["batches"]
    # The write statistics live in the embedded store's tables; a cluster run has none.
    sizes = f"; {writes:,} store writes of {mean:,.0f} messages on average" if writes else ""
    print(f"{'':<38} CPU seconds of the run: {cpu}{sizes}", flush=True)


def show_fixed(label: str, f: dict[str, Any], rate: float, duration: float) -> None:
    print(
        f"{label:<38} at {rate:,.0f} msg/s for {duration:.0f} s: lost {f['lost']:,} of "
        f"{f['sent']:,}, p99 message-to-queryable {f['p99'] * 1000:,.0f} ms, "
        f"listener peak RSS {f['rss']:,.0f} MB  ({f['load']})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000, help="burst size")
    parser.add_argument("--rate", type=float, default=20_000)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--store", choices=["embedded", "elasticsearch"], default="embedded")
    parser.add_argument("--database-url", default="", help="postgres://... for PostgreSQL too")
    parser.add_argument("--service", action="store_true", help="also under runservice")
    parser.add_argument(
        "--only", choices=["burst", "fixed"], help="only the bursts, or only the fixed rate runs"
    )
    args = parser.parse_args()
    if args.store == "elasticsearch" and not os.environ.get("ELASTICSEARCH_URL"):
        parser.error("--store elasticsearch needs ELASTICSEARCH_URL (scripts/elasticsearch.sh)")
    bare = raw_recv_rate()
    print(f"{'raw recvfrom rate (bare socket loop)':<38} {bare:>8,.0f} msg/s  ({load()})")
    if args.only != "fixed":
        bursts(args, bare)
    if args.only != "burst":
        fixed_rates(args)


def bursts(args: argparse.Namespace, bare: float) -> None:
    n = args.count
    show_burst("burst UDP -> SQLite", end_to_end(n), bare, n)
    if args.service:
        show_burst("burst UDP -> SQLite, runservice", end_to_end(n, service=True), bare, n)
    if args.database_url:
        one = end_to_end(n, database_url=args.database_url)
        show_burst("burst UDP -> PostgreSQL", one, bare, n)
        two = end_to_end(n, database_url=args.database_url, listeners=2)
        show_burst("burst UDP -> PostgreSQL, 2 listeners", two, bare, n)
        print(f"{'two --reuse-port listeners vs one':<38} {two['rate'] / one['rate']:.2f}x")
    if args.store == "elasticsearch":
        show_burst("burst UDP -> Elasticsearch", end_to_end(n, store="elasticsearch"), bare, n)


def fixed_rates(args: argparse.Namespace) -> None:
    r, d = args.rate, args.duration
    show_fixed("fixed rate UDP -> SQLite", fixed_rate(r, d), r, d)
    if args.service:
        show_fixed("fixed rate UDP -> SQLite, runservice", fixed_rate(r, d, service=True), r, d)
    if args.database_url:
        pg = fixed_rate(r, d, database_url=args.database_url)
        show_fixed("fixed rate UDP -> PostgreSQL", pg, r, d)


if __name__ == "__main__":
    main()
