"""Availability and reliability from timelines, daily and over periods (spec 3.4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from probes.timeline import Timeline

UNDEFINED = -1.0
UP_STATES = ("OK", "WARNING")
UNKNOWN_STATES = ("UNKNOWN", "MISSING")
DOWN_STATES = ("DOWNTIME",)
# argo-web-api adds this to period denominators so they are never exactly zero.
PERIOD_EPSILON = 1.00000001
# The older engine's grid: 288 five-minute samples per day.
SAMPLES_PER_DAY = 288


def round5(value: float) -> float:
    """Five decimals, HALF_UP, as ARGO stores figures (Python's round() is HALF_EVEN)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class DailyAR:
    """Stored daily figures: fractions of the day, and A/R in percent (-1 when undefined)."""

    uptime: float
    unknown: float
    downtime: float
    availability: float
    reliability: float


def ar_from_durations(durations: Mapping[str, float], total: float) -> DailyAR:
    """A = up/(T - unknown), R = up/(T - unknown - down); CRITICAL only counts in T."""
    up = sum(durations.get(s, 0.0) for s in UP_STATES)
    unknown = sum(durations.get(s, 0.0) for s in UNKNOWN_STATES)
    down = sum(durations.get(s, 0.0) for s in DOWN_STATES)
    a_den, r_den = total - unknown, total - unknown - down
    return DailyAR(
        uptime=round5(up / total),
        unknown=round5(unknown / total),
        downtime=round5(down / total),
        availability=round5(100 * up / a_den) if a_den > 0 else UNDEFINED,
        reliability=round5(100 * up / r_den) if r_den > 0 else UNDEFINED,
    )


def daily_ar(timeline: Timeline) -> DailyAR:
    """Daily A/R measured in seconds (argo-streaming)."""
    return ar_from_durations(timeline.durations(), timeline.end - timeline.start)


def sample_slot(seconds_into_day: float) -> int:
    """The older engine's slot for a time of day: round(round(s/60)/5), capped at 287."""
    minutes = Decimal(seconds_into_day / 60).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    slot = (minutes / 5).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return min(int(slot), SAMPLES_PER_DAY - 1)


def daily_ar_sampled(timeline: Timeline) -> DailyAR:
    """Daily A/R on the 288-sample grid of the older Hadoop/Pig engine."""
    slots: dict[int, str] = {}
    for when, state in timeline.changes:
        slots[sample_slot(when - timeline.start)] = state
    starts = sorted(slots)
    counts: dict[str, float] = {}
    for index, slot in enumerate(starts):
        following = starts[index + 1] if index + 1 < len(starts) else SAMPLES_PER_DAY
        counts[slots[slot]] = counts.get(slots[slot], 0.0) + following - slot
    return ar_from_durations(counts, SAMPLES_PER_DAY)


@dataclass(frozen=True)
class PeriodAR:
    availability: float
    reliability: float
    uptime: float
    unknown: float
    downtime: float
    days: int


def period_ar(days: Sequence[DailyAR]) -> PeriodAR:
    """Monthly/custom-period A/R from the mean daily fractions, not the mean of daily A.

    argo-web-api would report 0 for a period with no known time; we report -1 (undefined),
    as the API must never turn "no data" into 0 (spec 3.6).
    """
    if not days:
        return PeriodAR(UNDEFINED, UNDEFINED, 0.0, 0.0, 0.0, 0)
    count = len(days)
    up = sum(d.uptime for d in days) / count
    unknown = sum(d.unknown for d in days) / count
    down = sum(d.downtime for d in days) / count
    a_den = PERIOD_EPSILON - unknown
    r_den = a_den - down
    known = round5(1 - unknown) > 0
    return PeriodAR(
        availability=round5(100 * up / a_den) if known else UNDEFINED,
        reliability=round5(100 * up / r_den) if round5(1 - unknown - down) > 0 else UNDEFINED,
        uptime=round5(up),
        unknown=round5(unknown),
        downtime=round5(down),
        days=count,
    )


def weighted_group_value(members: Sequence[tuple[float, float]]) -> float | None:
    """Daily value of a group of groups: sum(v*w)/sum(w) with w = weight + 1; members with an
    undefined (negative) value weigh 0. None means ARGO's "nan" (no defined member)."""
    total = weight_sum = 0.0
    for value, weight in members:
        w = 0.0 if value < 0 else weight + 1
        total += value * w
        weight_sum += w
    return round5(total / weight_sum) if weight_sum > 0 else None
