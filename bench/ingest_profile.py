#!/usr/bin/env python
"""Where a message's ingest time goes, in one process, in microseconds a message by stage:
parse (decode, trust gate, normalise; then Parser.accept, which adds dedup and counting)
and the store write (building the rows, then sending the raw rows, the latest state and the
shutdowns, and the rest), on a fresh database.

The database is SQLite under a temporary VACMON_VAR_DIR, or DATABASE_URL's server with
--database-url (a fresh database is created there and dropped after). With --profile the
write (or, with --profile parse, the parse) runs under cProfile and the top entries by
cumulative time are printed.

Usage: bench/ingest_profile.py [--count N] [--batch B] [--database-url postgres://...]
                               [--profile parse|write] [--repeat R]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import process_cpu  # noqa: E402


def fresh_database(var_dir: str, url: str) -> tuple[str, str]:
    """(DATABASE_URL, the name to drop after, or "")."""
    if not url.startswith("postgres"):
        return f"sqlite:///{Path(var_dir) / 'vacmon.sqlite3'}", ""
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"vacmon_profile_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return f"{base}/{name}", name


# The write's stages: functions of vacmon.store.embedded.writer, timed by wrapping them.
# `prepare` builds every row (ingest runs it before the write lock); the others send them.
WRITE_STAGES = (
    ("prepare rows", "prepare"),
    ("raw rows", "_insert"),
    ("latest state", "_upsert_latest"),
    ("shutdowns", "_insert_shutdowns"),
)


def run(count: int, batch: int, profile: str, repeat: int) -> None:
    import django

    django.setup()
    from django.db import connection

    from bench.ingest import message, templates
    from factories.messages import decode_datagram, normalise
    from vacmon.ingest.counters import Counters
    from vacmon.ingest.pipeline import Parser
    from vacmon.ingest.workers import udp_gate
    from vacmon.store import get_store

    tmpls, now = templates(), int(time.time())
    raws = [message(i, tmpls, now) for i in range(count)]
    gate = udp_gate()  # as the listener's workers parse: the trust gate included
    objs = [decode_datagram(raw) for raw in raws]
    stages = {
        "decode": lambda: [decode_datagram(raw) for raw in raws],
        "trust gate": lambda: [gate.trusted(obj, "192.0.2.1", now) for obj in objs],
        # normalise takes over what decode_datagram hands it, so each run decodes anew
        # and the decode is taken off.
        "normalise": lambda: [normalise(decode_datagram(raw), received=now) for raw in raws],
    }
    print(f"parse stages, best of {repeat}, us/message ({count:,} messages, {load()})")
    took = {name: best(stage, repeat) for name, stage in stages.items()}
    took["normalise"] -= took["decode"]
    for name, seconds in took.items():
        print(f"  {name:<14} {seconds / count * 1e6:6.2f}")
    parser = Parser(Counters(), "udp", gate=gate)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    with profiler if profile == "parse" else _nothing():
        messages = [parser.accept(raw, "192.0.2.1", now) for raw in raws]
    parse = time.perf_counter() - started
    print(f"  {'Parser.accept':<14} {parse / count * 1e6:6.2f}  (all of the above, dedup, counts)")
    kept = [m for m in messages if m is not None]
    spent, server = time_write_stages()
    write = get_store().write
    server_before = server_cpu()
    started = time.perf_counter()
    with profiler if profile == "write" else _nothing():
        for i in range(0, len(kept), batch):
            write(kept[i : i + batch])
    stored = time.perf_counter() - started
    server["total"] = server_cpu() - server_before
    column = ", and the server's CPU" if connection.vendor == "postgresql" else ""
    print(f"write stages, us/message{column} (batches of {batch:,}, {load()})")
    n = len(kept)
    for name, seconds in spent.items():
        print(f"  {name:<14} {seconds / n * 1e6:6.2f}{server_column(server[name], n)}")
    rest = stored - sum(spent.values())
    rest_server = server["total"] - sum(v for k, v in server.items() if k != "total")
    print(
        f"  {'the rest':<14} {rest / n * 1e6:6.2f}{server_column(rest_server, n)}"
        "  (transaction, commit)"
    )
    print(
        f"  {'store.write':<14} {stored / n * 1e6:6.2f}{server_column(server['total'], n)}"
        "  (all of the above)"
    )
    print(f"parse + write  {(parse / count + stored / len(kept)) * 1e6:6.1f} us/message")
    if profile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def best(stage: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        stage()
        times.append(time.perf_counter() - started)
    return min(times)


def time_write_stages() -> tuple[dict[str, float], dict[str, float]]:
    """Wrap each write stage so its time, and the server's CPU time, add up in the
    returned dicts."""
    from vacmon.store.embedded import writer

    spent: dict[str, float] = {}
    server: dict[str, float] = {}
    for label, name in WRITE_STAGES:
        spent[label] = server[label] = 0.0
        setattr(writer, name, timed(getattr(writer, name), label, spent, server))
    return spent, server


def timed(
    fn: Callable[..., Any], label: str, spent: dict[str, float], server: dict[str, float]
) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), server_cpu()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started
            server[label] += server_cpu() - cpu

    return wrapper


def server_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend (a local server; 0 on SQLite,
    whose work is done in this process and so counted in the wall time)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    connection.ensure_connection()
    return process_cpu(connection.connection.info.backend_pid)[1]


def server_column(seconds: float, n: int) -> str:
    from django.db import connection

    return f" {seconds / n * 1e6:6.2f}" if connection.vendor == "postgresql" else ""


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--profile", choices=["", "parse", "write"], default="")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many parse runs")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run(args.count, args.batch, args.profile, args.repeat)
        return
    child = ["--count", str(args.count), "--batch", str(args.batch)]
    child += ["--profile", args.profile, "--repeat", str(args.repeat)]
    in_fresh_database(__file__, child, args.database_url)


def in_fresh_database(script: str, child: list[str], database_url: str) -> None:
    """Run `script --child *child` on a fresh, migrated database: SQLite under a temporary
    VACMON_VAR_DIR, or a new database on `database_url`'s server, dropped after."""
    with tempfile.TemporaryDirectory() as var_dir:
        url, name = fresh_database(var_dir, database_url)
        env = dict(os.environ, DATABASE_URL=url, VACMON_VAR_DIR=var_dir)
        env.update(DJANGO_SETTINGS_MODULE="vacmon.settings", VACMON_NAME_BUDGET="0")
        env.pop("ELASTICSEARCH_URL", None)
        try:
            manage = [sys.executable, "manage.py", "migrate", "-v0"]
            subprocess.run(manage, cwd=ROOT, env=env, check=True)
            subprocess.run(
                [sys.executable, script, "--child", *child], cwd=ROOT, env=env, check=True
            )
        finally:
            if name:
                import psycopg

                base = database_url.rpartition("/")[0]
                with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
