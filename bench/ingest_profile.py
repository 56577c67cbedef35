#!/usr/bin/env python
"""Where a message's ingest time goes, in one process: parse (decode, validate, trust gate,
dedup) and store write, in microseconds a message, on a fresh database.

The database is SQLite under a temporary VACMON_VAR_DIR, or DATABASE_URL's server with
--database-url (a fresh database is created there and dropped after). With --profile the
write (or, with --profile parse, the parse) runs under cProfile and the top entries by
cumulative time are printed.

Usage: bench/ingest_profile.py [--count N] [--batch B] [--database-url postgres://...]
                               [--profile parse|write]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


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


def run(count: int, batch: int, profile: str) -> None:
    import django

    django.setup()
    from bench.ingest import message, templates
    from vacmon.ingest.counters import Counters
    from vacmon.ingest.pipeline import Parser
    from vacmon.store import get_store

    tmpls, now = templates(), int(time.time())
    raws = [message(i, tmpls, now) for i in range(count)]
    parser = Parser(Counters(), "udp")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    with profiler if profile == "parse" else _nothing():
        messages = [parser.accept(raw, "192.0.2.1", now) for raw in raws]
    parse = time.perf_counter() - started
    write = get_store().write
    kept = [m for m in messages if m is not None]
    started = time.perf_counter()
    with profiler if profile == "write" else _nothing():
        for i in range(0, len(kept), batch):
            write(kept[i : i + batch])
    stored = time.perf_counter() - started
    print(f"parse  {parse / count * 1e6:6.1f} us/message  ({count:,} messages)")
    print(f"write  {stored / len(kept) * 1e6:6.1f} us/message  (batches of {batch:,})")
    if profile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


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
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run(args.count, args.batch, args.profile)
        return
    with tempfile.TemporaryDirectory() as var_dir:
        url, name = fresh_database(var_dir, args.database_url)
        env = dict(os.environ, DATABASE_URL=url, VACMON_VAR_DIR=var_dir)
        env.update(DJANGO_SETTINGS_MODULE="vacmon.settings", VACMON_NAME_BUDGET="0")
        env.pop("ELASTICSEARCH_URL", None)
        try:
            manage = [sys.executable, "manage.py", "migrate", "-v0"]
            subprocess.run(manage, cwd=ROOT, env=env, check=True)
            child = [sys.executable, __file__, "--child", "--count", str(args.count)]
            child += ["--batch", str(args.batch), "--profile", args.profile]
            subprocess.run(child, cwd=ROOT, env=env, check=True)
        finally:
            if name:
                import psycopg

                base = args.database_url.rpartition("/")[0]
                with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
