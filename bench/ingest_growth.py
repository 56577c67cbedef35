#!/usr/bin/env python
"""How the per-message cost of ingest changes as the store fills: --count messages of
bench/ingest.py's 200,000 senders, parsed (Parser.accept, with the UDP trust gate) and
written (prepare, then write, in batches of --batch) in blocks of --block, on a fresh SQLite
database under a temporary VACMON_VAR_DIR (or DATABASE_URL's server with --database-url,
a fresh database created and dropped). Prints, for each block, the microseconds a message
of each step, the slowest batch write and the database's size.

Usage: bench/ingest_growth.py [--count 1200000] [--block 100000] [--batch 3600]
                              [--database-url postgres://...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest_profile import in_fresh_database  # noqa: E402


def run(count: int, block: int, batch: int) -> None:
    import django

    django.setup()
    from bench.ingest import message, templates
    from vacmon.ingest.counters import Counters
    from vacmon.ingest.pipeline import Parser
    from vacmon.ingest.workers import udp_gate
    from vacmon.store import get_store

    store, tmpls = get_store(), templates()
    parser = Parser(Counters(), "udp", gate=udp_gate())
    print(f"{'messages':>10} {'parse':>7} {'write':>7}  us/message  slowest batch   database")
    for start in range(0, count, block):
        now = int(time.time())
        raws = [message(i, tmpls, now) for i in range(start, start + block)]
        began = time.perf_counter()
        kept = [m for m in (parser.accept(r, "192.0.2.1", now) for r in raws) if m is not None]
        parsed = time.perf_counter()
        slowest = 0.0
        for i in range(0, len(kept), batch):
            one = time.perf_counter()
            store.write(store.prepare(kept[i : i + batch]))
            slowest = max(slowest, time.perf_counter() - one)
        written = time.perf_counter()
        print(
            f"{start + block:>10,} {(parsed - began) / block * 1e6:>7.1f} "
            f"{(written - parsed) / max(len(kept), 1) * 1e6:>7.1f}"
            f"{slowest * 1000:>22.0f} ms {size_mb():>7,} MB",
            flush=True,
        )


def size_mb() -> int:
    from django.db import connection as db

    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0]) >> 20
    return os.path.getsize(db.settings_dict["NAME"]) >> 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1_200_000)
    parser.add_argument("--block", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=3600)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run(args.count, args.block, args.batch)
        return
    child = ["--count", str(args.count), "--block", str(args.block), "--batch", str(args.batch)]
    in_fresh_database(__file__, child, args.database_url)


if __name__ == "__main__":
    main()
