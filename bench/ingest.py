#!/usr/bin/env python
"""Ingest figures on this machine, printed in one run:

1. the raw recvfrom rate of a bare Python socket loop (the ceiling);
2. sustained end-to-end UDP -> durable embedded store, msg/s;
3. loss at a fixed offered rate (default 20,000 msg/s for 60 s);
4. p99 message-to-queryable latency, measured with marker messages during (3);
5. the listener's peak RSS.

The listener runs as `manage.py listen_udp` in its own process on a fresh SQLite database
under a temporary VACMON_VAR_DIR, exactly as `make run` starts it. Everything is on
127.0.0.1 with ephemeral ports. With `--store elasticsearch` the end-to-end burst (2) is
run a second time, in the same run, with the listener writing to the cluster at
ELASTICSEARCH_URL (under a fresh prefix, ELASTICSEARCH_LIFECYCLE=none unless set), and both
figures are printed side by side.

Usage: bench/ingest.py [--count N] [--rate R] [--duration S] [--store elasticsearch]
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import samples  # noqa: E402

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


def blast(port: int, count: int, rate: float, done: mp.Value) -> None:  # type: ignore[type-arg]
    tmpls = templates()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    start = time.perf_counter()
    sent = int(time.time())
    for i in range(count):
        if i % 100 == 0:
            sent = int(time.time())
            ahead = i / rate - (time.perf_counter() - start) if rate else 0
            if ahead > 0:
                time.sleep(ahead)
        sock.sendto(message(i, tmpls, sent), ("127.0.0.1", port))
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


class Listener:
    def __init__(self, var_dir: str, store: str = "embedded") -> None:
        # One loopback source stands for the whole simulated fleet: no per-source name budget.
        env = dict(os.environ, VACMON_VAR_DIR=var_dir, DATABASE_URL="", VACMON_NAME_BUDGET="0")
        env.pop("DATABASE_URL")
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
        port_file = Path(var_dir) / "port"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "listen_udp",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--port-file",
                str(port_file),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while not port_file.exists() or not port_file.read_text():
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        self.db_path = Path(var_dir) / "vacmon.sqlite3"
        self.db = sqlite3.connect(self.db_path, timeout=30, check_same_thread=False)

    def stored(self) -> int:
        if self.es_url:
            return self._es_count()
        return sum(
            self.db.execute(f"SELECT count(*) FROM vacmon_{t}").fetchone()[0]
            for t in ("factorystatus", "machinetypestatus")
        )

    def _es_count(self) -> int:
        streams = f"{self.prefix}factory_status,{self.prefix}machinetype_status"
        options = "ignore_unavailable=true&allow_no_indices=true"
        refresh = urllib.request.Request(f"{self.es_url}/{streams}/_refresh?{options}", b"")
        urllib.request.urlopen(refresh, timeout=30).read()
        with urllib.request.urlopen(f"{self.es_url}/{streams}/_count?{options}", timeout=30) as r:
            return int(json.load(r)["count"])

    def counters(self) -> dict[str, int]:
        rows = self.db.execute("SELECT name, reason, value FROM vacmon_ingestcounter")
        return {f"{name}{':' + reason if reason else ''}": value for name, reason, value in rows}

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


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


def end_to_end(count: int, store: str = "embedded") -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as var_dir:
        listener = Listener(var_dir, store)
        done = mp.Value("d", 0.0)
        start = time.perf_counter()
        sender = mp.Process(target=blast, args=(listener.port, count, 0, done))
        sender.start()
        sender.join()
        n, when = wait_stored(listener, count)
        print(f"  (end-to-end burst: listener counted {listener.counters()})", flush=True)
        listener.stop()
        return n / (when - start), count - n


def markers(port: int, listener: Listener, stop: threading.Event, out: list[float]) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    db = sqlite3.connect(listener.db_path, timeout=30)
    i = 0
    while not stop.is_set():
        i += 1
        name = f"marker-{i}"
        body = dict(FACTORY, factory=name, time_sent=int(time.time()))
        sent = time.perf_counter()
        sock.sendto(json.dumps(body).encode(), ("127.0.0.1", port))
        while not stop.is_set():
            row = db.execute(
                "SELECT 1 FROM vacmon_factorystatus WHERE factory = ?", (name,)
            ).fetchone()
            if row:
                out.append(time.perf_counter() - sent)
                break
            time.sleep(0.005)
        time.sleep(0.1)


def fixed_rate(rate: float, duration: float) -> tuple[int, int, float, float]:
    count = int(rate * duration)
    with tempfile.TemporaryDirectory() as var_dir:
        listener = Listener(var_dir)
        latencies: list[float] = []
        stop = threading.Event()
        probe = threading.Thread(target=markers, args=(listener.port, listener, stop, latencies))
        done = mp.Value("d", 0.0)
        sender = mp.Process(target=blast, args=(listener.port, count, rate, done))
        probe.start()
        sender.start()
        sender.join()
        stop.set()
        probe.join()
        markers_sent = len(latencies)
        n, _ = wait_stored(listener, count + markers_sent)
        rss = listener.peak_rss_mb()
        listener.stop()
        stored = min(count, n - markers_sent)
        latencies.sort()
        p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
        return count, count - stored, p99, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=300_000, help="end-to-end burst size")
    parser.add_argument("--rate", type=float, default=20_000)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--store", choices=["embedded", "elasticsearch"], default="embedded")
    args = parser.parse_args()
    if args.store == "elasticsearch" and not os.environ.get("ELASTICSEARCH_URL"):
        parser.error("--store elasticsearch needs ELASTICSEARCH_URL (scripts/elasticsearch.sh)")
    print(f"raw recvfrom rate (bare socket loop):  {raw_recv_rate():,.0f} msg/s", flush=True)
    rate, lost = end_to_end(args.count)
    print(
        f"end-to-end UDP -> SQLite, sustained:   {rate:,.0f} msg/s "
        f"({args.count:,} sent as fast as possible, {lost:,} not stored)",
        flush=True,
    )
    if args.store == "elasticsearch":
        es_rate, es_lost = end_to_end(args.count, "elasticsearch")
        print(
            f"end-to-end UDP -> Elasticsearch:       {es_rate:,.0f} msg/s "
            f"({args.count:,} sent as fast as possible, {es_lost:,} not stored; "
            f"{es_rate / rate:.2f}x the SQLite figure)",
            flush=True,
        )
    sent, lost, p99, rss = fixed_rate(args.rate, args.duration)
    print(
        f"loss at {args.rate:,.0f} msg/s for {args.duration:.0f} s:      "
        f"{lost:,} of {sent:,} ({100 * lost / sent:.3f} %)"
    )
    print(f"p99 message-to-queryable latency:      {p99 * 1000:,.0f} ms")
    print(f"listener peak RSS:                     {rss:,.0f} MB")


if __name__ == "__main__":
    main()
