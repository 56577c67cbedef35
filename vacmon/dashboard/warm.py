"""Fill the dashboard cache ahead of viewers: the overview's reads for every preset range.

Run once a minute, just after the minute turns (the Celery task in tasks.py), so the first
viewer of the minute finds the fleet-wide series already computed. This only helps when the
web and worker processes share Django's cache (CACHES), not with the per-process default.
"""

from __future__ import annotations

import time

from vacmon.capacity import SUMMED
from vacmon.dashboard import selectors
from vacmon.dashboard.params import RANGES, relative
from vacmon.store import Scope

FLEET_GROUPS = ("site", "vo")


def warm_overview(now: int | None = None) -> int:
    """Compute and cache the overview's reads for each preset range; return how many."""
    now = int(time.time()) if now is None else now
    done = 0
    for key in RANGES:
        pp = relative(key, now, None)
        r = pp.time_range
        selectors.factories_latest(Scope(), r, now, SUMMED)
        selectors.machinetypes_latest(Scope(), r, now, selectors.USAGE_FIELDS)
        for by in FLEET_GROUPS:
            selectors.running_many(selectors.RUNNING, by, Scope(), r)
        selectors.capacity_lines(Scope(), r)
        done += 1
    return done
