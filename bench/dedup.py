#!/usr/bin/env python
"""What remembering recent keys costs a long-running listener: microseconds a key for each
block of --block keys, up to --keys, for the parsers' dedup (vacmon.ingest.pipeline's
RecentKeys, a vacmon.ingest.recent.RecentSet) and, side by side in the same run, for a dict
used as a first-in first-out set (its first key deleted once full), which it replaced.

Every key is new, as every message's natural key is (its time_sent differs), so once the
limit is reached every key also evicts one.

Usage: bench/dedup.py [--keys 1000000] [--block 200000] [--size 200000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class DictFifo:
    """The structure RecentKeys used before: insertion-ordered dict, oldest deleted first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._keys: dict[tuple[object, ...], None] = {}

    def seen(self, key: tuple[object, ...]) -> bool:
        keys = self._keys
        if key in keys:
            return True
        keys[key] = None
        if len(keys) > self.size:
            del keys[next(iter(keys))]
        return False


def per_block(seen: Callable[[tuple[object, ...]], bool], keys: int, block: int) -> list[float]:
    out, started = [], time.perf_counter()
    for i in range(keys):
        seen(("machinetype_status", "SITE", "space.example", f"f{i}.example", "atlas", i))
        if i % block == block - 1:
            now = time.perf_counter()
            out.append((now - started) / block * 1e6)
            started = now
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--block", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=200_000, help="keys remembered")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vacmon.settings")
    import django

    django.setup()
    from vacmon.ingest.pipeline import RecentKeys

    print(f"us a key, by block of {args.block:,} keys, remembering {args.size:,}")
    print(
        "keys seen    "
        + "".join(f"{(n + 1) * args.block:>10,}" for n in range(args.keys // args.block))
    )
    for name, seen in (
        ("RecentKeys", RecentKeys(args.size).seen),
        ("dict FIFO", DictFifo(args.size).seen),
    ):
        times = per_block(seen, args.keys, args.block)
        print(f"{name:<13}" + "".join(f"{t:>10.2f}" for t in times))


if __name__ == "__main__":
    main()
