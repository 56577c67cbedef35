#!/usr/bin/env python
"""Chart read times of the overview's and the factory page's charts, without the pages.

Runs on a store loaded by `bench/dashboard.py` (pass its VAR_DIR) and times, for the hour,
day, week and month ranges ending at the newest message, the reads the pages make with the
dashboard cache cleared before each: the fleet's usage and capacity by site, machinetype
usage by VO, one factory's ten health metrics and its heartbeat report. Prints the median
wall and CPU time of each (CPU time is what the read costs; wall time includes waiting for
a shared machine) and the load average beside them.

Usage: bench/charts.py VAR_DIR [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_django

RANGES = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400}
FACTORY = ("BENCH-SITE-01", "vac0.site01.bench", "f01.vac0.site01.bench")


def timed(read: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `read()`, the cache cleared before each."""
    from django.core.cache import cache

    wall, cpu = [], []
    for _ in range(repeats):
        cache.clear()
        w, c = time.perf_counter(), time.process_time()
        read()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("var_dir")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    setup_django(args.var_dir, allow_insecure=True)

    from vacmon.dashboard import selectors
    from vacmon.dashboard.detail_views import HEALTH_HISTORY, HEALTH_METRICS
    from vacmon.dashboard.settled import chart_series_many
    from vacmon.models import FactoryStatus
    from vacmon.store import Scope
    from vacmon.timerange import TimeRange, pick_interval

    newest = FactoryStatus.objects.order_by("-time_received").first()
    if newest is None:
        parser.error(f"{args.var_dir} holds no messages: load it with bench/dashboard.py")
    now = newest.time_received
    site, space, factory = FACTORY
    one = Scope(site=site, space=space, factory=factory)
    print(f"{'read':<28}{'range':>7}{'wall ms':>10}{'cpu ms':>9}  load average")
    for name, span in RANGES.items():
        r = TimeRange(now - span, now, pick_interval(span))
        reads: dict[str, Callable[[], object]] = {
            "fleet by site": lambda r=r: chart_series_many(
                "factory_status", selectors.FLEET, "site", Scope(), r
            ),
            "machinetypes by VO": lambda r=r: chart_series_many(
                "machinetype_status", selectors.RUNNING, "vo", Scope(), r
            ),
            "factory health metrics": lambda r=r: chart_series_many(
                "factory_status", HEALTH_METRICS, "factory", one, r
            ),
            "factory heartbeats": lambda r=r: selectors.factory_health(one, r, HEALTH_HISTORY),
        }
        for label, read in reads.items():
            wall, cpu = timed(read, args.repeats)
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"{label:<28}{name:>7}{wall:>10.1f}{cpu:>9.1f}  {load}")


if __name__ == "__main__":
    main()
