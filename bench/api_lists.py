#!/usr/bin/env python
"""List API times at fleet scale: `/api/v1/factories/` and `/api/v1/sites/` with 30,000
factories in a fresh embedded store (SQLite under a temporary VACMON_VAR_DIR, migrated).

Each factory sends one factory_status message (built from the spec sample with
`factories.messages.normalise`, written with `get_store().write` in batches of 5000, as the
listener does); 20 factories share a space and 2 spaces a site. The Django test client then
times the first page (`?limit=100`), a page reached through `next`, and the largest page
(`?limit=1000`), each `--requests` times, and prints p50/p95 and the body size.

Usage: bench/api_lists.py [--factories 30000] [--requests 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_django

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000


def fill(n_factories: int, now: int) -> None:
    from factories.messages import normalise
    from tests.samples import VAC_FACTORY
    from vacmon.store import get_store

    sample = json.loads(VAC_FACTORY)
    batch = []
    for i in range(n_factories):
        obj = dict(
            sample,
            site=f"BENCH-SITE-{i // 40:04d}",
            space=f"vac{(i // 20) % 2}.site{i // 40:04d}.bench",
            factory=f"f{i:05d}.bench",
            time_sent=now - 30,
        )
        batch.append(normalise(obj, received=now - 30))
        if len(batch) == BATCH:
            get_store().write(batch)
            batch = []
    if batch:
        get_store().write(batch)


def timed(client: object, url: str, requests: int) -> tuple[float, float, int, dict]:
    times, size, body = [], 0, {}
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
        size, body = len(response.content), response.json()
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    return statistics.median(times), p95, size, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--factories", type=int, default=30_000)
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vacmon-bench-lists-") as var_dir:
        setup_django(var_dir)
        from django.test import Client

        started = time.perf_counter()
        fill(args.factories, int(time.time()))
        print(f"{args.factories} factories written in {time.perf_counter() - started:.1f} s")
        client = Client()
        _, _, _, first = timed(client, "/api/v1/factories/?limit=100", 1)
        # A fleet of at most one page has no `next` to follow.
        following = [first["next"].replace("http://testserver", "")] if first["next"] else []
        urls = [
            "/api/v1/factories/?limit=100",
            *following,
            "/api/v1/factories/?limit=1000",
            "/api/v1/sites/?limit=100",
        ]
        print(f"{'request':<60} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>9}")
        for url in urls:
            p50, p95, size, _ = timed(client, url, args.requests)
            shown = url if len(url) <= 60 else url[:57] + "..."
            print(f"{shown:<60} {p50 * 1000:8.0f} {p95 * 1000:8.0f} {size:9d}")


if __name__ == "__main__":
    main()
