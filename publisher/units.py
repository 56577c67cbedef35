"""Unit conversions and rounding used in published documents.

CRR only says "GB" and "minutes". We publish:

- GB = 10^9 bytes (decimal), as the original VacMon did; not GiB (2^30). A factory's
  default 2048 MiB per processor (2147483648 bytes) is therefore 2.147 GB.
- Memory in CRR v1.5 is rounded *down* to whole MB (3 decimals of GB) and wallclock to
  whole minutes, so we never advertise more than a factory allows.
- Capacity in HS06 is rounded to 2 decimals, to drop float summation noise.
- The number of logical CPUs is a count: rounded to the nearest integer.

The vacmon-2019 format keeps the original's integer divisions (vac-protocol 5.2).
"""

from __future__ import annotations

BYTES_PER_GB = 10**9
BYTES_PER_MB = 10**6
SECONDS_PER_MINUTE = 60


def gb_per_processor(bytes_per_processor: float) -> float:
    """Decimal GB, rounded down to whole MB: 2147483648 -> 2.147."""
    whole_mb = int(bytes_per_processor) // BYTES_PER_MB
    return whole_mb / (BYTES_PER_GB // BYTES_PER_MB)


def whole_minutes(seconds: float) -> int:
    """Whole minutes, rounded down: 86401 s -> 1440."""
    return int(seconds) // SECONDS_PER_MINUTE


def hs06(total: float) -> float:
    """HS06 as a float with 2 decimals."""
    return round(float(total), 2)


def logical_cpus(total: float) -> int:
    """A processor count published as an integer."""
    return round(total)


def legacy_memory_gb(max_processors: float, bytes_per_processor: float) -> int:
    """The original's per-machine memory: (processors x bytes) // 10^9."""
    return int(max_processors * bytes_per_processor) // BYTES_PER_GB
