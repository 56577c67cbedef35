#!/usr/bin/env python
"""HTTP NDJSON ingest, end to end, through gunicorn on loopback: msg/s stored and counted.

The web server is started the way `make run` starts it (`manage.py runservice` builds the
same gunicorn command line: gevent workers, the same limits; DJANGO_DEBUG=true), on an
ephemeral port of 127.0.0.1, on a fresh database under a temporary VACMON_VAR_DIR (SQLite,
or a new PostgreSQL database with --database-url). A separate sender process POSTs unique
Vac-shaped messages (one factory_status and two machinetype_status per factory cycle) as
NDJSON bodies of --lines lines over --connections keep-alive connections. The figure is
messages stored (rows counted in the database) and counted `accepted` (the http ingest
counter) over the time from the first request sent to the last answer read, printed beside
the load average, with the CPU time gunicorn's processes spent per message (on a machine
others share, the steadier figure of the two). With --production it runs a second time
with DJANGO_DEBUG=false (and VACMON_ALLOW_INSECURE=true, the development key being
loopback-only here), side by side.

--profile runs the same request path (Django's WSGI handler: middleware, authentication,
the view, parsing and the store write, without gunicorn and its sockets) in this process
under cProfile and prints where the time goes.

Usage: bench/ingest_http.py [--count N] [--lines L] [--connections C] [--web-workers W]
                            [--database-url postgres://...] [--production] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import multiprocessing as mp
import os
import pstats
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import Database, free_port, load, message, templates  # noqa: E402
from tests.processes import descendants  # noqa: E402

PATH = "/api/v1/messages"
NDJSON = "application/x-ndjson"


def bodies(first: int, last: int, lines: int) -> list[bytes]:
    """NDJSON bodies of the messages numbered first..last-1, `lines` a body."""
    tmpls, sent = templates(), int(time.time())
    out = []
    for start in range(first, last, lines):
        chunk = [message(i, tmpls, sent) for i in range(start, min(start + lines, last))]
        out.append(b"\n".join(chunk) + b"\n")
    return out


def post_all(port: int, payloads: list[bytes], tally: list[int]) -> None:
    """POST each body on one keep-alive connection; tally [accepted, other answers]."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": NDJSON}
    for body in payloads:
        conn.request("POST", PATH, body, headers)
        response = conn.getresponse()
        answer = response.read()
        if response.status == 202:
            tally[0] += json.loads(answer)["accepted"]
        else:
            tally[1] += 1
            print(f"  answer {response.status}: {answer[:300]!r}", file=sys.stderr)
    conn.close()


def sender(port: int, count: int, lines: int, connections: int, out: Any) -> None:
    """The client side, in its own process: bodies built first, then sent and timed."""
    share = -(-count // connections)
    work = [bodies(c * share, min(count, (c + 1) * share), lines) for c in range(connections)]
    tallies = [[0, 0] for _ in range(connections)]
    threads = [
        threading.Thread(target=post_all, args=(port, work[c], tallies[c]))
        for c in range(connections)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((time.perf_counter() - started, sum(t[0] for t in tallies), sum(t[1] for t in tallies)))


class Web:
    """gunicorn as `make run` starts it, on a fresh database and an ephemeral port."""

    def __init__(self, var_dir: str, database_url: str, workers: int, debug: bool) -> None:
        from vacmon.management.commands.runservice import WEB_CONNECTIONS, web_command

        self.db = Database(var_dir, database_url)
        self.port = free_port(socket.SOCK_STREAM)
        env = dict(os.environ, VACMON_VAR_DIR=var_dir, DATABASE_URL=self.db.url)
        # One loopback source stands for the whole simulated fleet: no per-source name budget.
        env.update(VACMON_NAME_BUDGET="0", CELERY_BROKER_URL=f"filesystem://{var_dir}/celery")
        env.update(DJANGO_DEBUG="true" if debug else "false", VACMON_ALLOW_INSECURE="true")
        env.pop("ELASTICSEARCH_URL", None)
        manage = [sys.executable, "manage.py", "migrate", "-v0"]
        subprocess.run(manage, cwd=ROOT, env=env, check=True)
        bindir = os.path.dirname(sys.executable)
        command = web_command(bindir, f"127.0.0.1:{self.port}", workers, WEB_CONNECTIONS)
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not answer /healthz within 60 s")

    def cpu_seconds(self) -> float:
        """CPU time used so far by gunicorn and its workers: on a machine others share,
        CPU per message says more about the request path than the wall-clock rate."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.proc.pid, *descendants(self.proc.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        return total

    def stored(self) -> int:
        tables = ("factorystatus", "machinetypestatus")
        return sum(self.db.one(f"SELECT count(*) FROM vacmon_{t}")[0] for t in tables)

    def accepted(self) -> int:
        row = self.db.one(
            "SELECT value FROM vacmon_ingestcounter WHERE channel = 'http' AND name = "
            "'accepted' AND reason = ''"
        )
        return int(row[0]) if row else 0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.db.drop()


def end_to_end(args: argparse.Namespace, debug: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as var_dir:
        web = Web(var_dir, args.database_url, args.web_workers, debug)
        try:
            out: Any = mp.Queue()
            cpu_before = web.cpu_seconds()
            client = mp.Process(
                target=sender, args=(web.port, args.count, args.lines, args.connections, out)
            )
            client.start()
            elapsed, answered, failed = out.get()
            client.join()
            cpu = web.cpu_seconds() - cpu_before
            stored, accepted = web.stored(), web.accepted()
            return {
                "rate": min(stored, accepted) / elapsed,
                "stored": stored,
                "accepted": accepted,
                "answered": answered,
                "failed": failed,
                "cpu_us": cpu / max(stored, 1) * 1e6,
                "load": load(),
            }
        finally:
            web.stop()


def show(label: str, f: dict[str, Any], count: int) -> None:
    print(
        f"{label:<44} {f['rate']:>8,.0f} msg/s; {count:,} sent, {f['stored']:,} stored, "
        f"{f['accepted']:,} counted accepted, {f['answered']:,} answered accepted, "
        f"{f['failed']} requests refused; server CPU {f['cpu_us']:.1f} us/msg "
        f"(= {1e6 / f['cpu_us'] * 2:,.0f} msg/s on 2 free cores)  ({f['load']})",
        flush=True,
    )


def profile(args: argparse.Namespace) -> None:
    """The request path in this process, under cProfile."""
    with tempfile.TemporaryDirectory() as var_dir:
        from bench.common import setup_django

        os.environ["VACMON_NAME_BUDGET"] = "0"
        os.environ["CELERY_BROKER_URL"] = f"filesystem://{var_dir}/celery"
        setup_django(var_dir, allow_insecure=True)
        from django.test import Client

        client = Client()
        # One request first: URL patterns, views and the store are loaded on first use.
        client.post(PATH, bodies(args.count, args.count + 3, 3)[0], content_type=NDJSON)
        payloads = bodies(0, args.count, args.lines)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        with profiler:
            for body in payloads:
                response = client.post(PATH, body, content_type=NDJSON)
                assert response.status_code == 202, response.content[:300]
        elapsed = time.perf_counter() - started
        print(f"in-process request path: {args.count / elapsed:,.0f} msg/s  ({load()})")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200_000, help="messages to send")
    parser.add_argument("--lines", type=int, default=2000, help="NDJSON lines a request")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections")
    parser.add_argument("--web-workers", type=int, default=2, help="as runservice's default")
    parser.add_argument("--database-url", default="", help="postgres://... instead of SQLite")
    parser.add_argument("--production", action="store_true", help="also DJANGO_DEBUG=false")
    parser.add_argument("--profile", action="store_true", help="profile the request path")
    args = parser.parse_args()
    if args.profile:
        profile(args)
        return
    store = "PostgreSQL" if args.database_url else "SQLite"
    show(f"HTTP NDJSON -> {store}, as make run", end_to_end(args, debug=True), args.count)
    if args.production:
        show(f"HTTP NDJSON -> {store}, DJANGO_DEBUG=false", end_to_end(args, False), args.count)


if __name__ == "__main__":
    main()
