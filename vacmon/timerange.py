"""The time range of a read, from `?from=&to=&interval=`, and its bucket interval: a domain
type the API, the dashboard and the probe pages share."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from vacmon.queryparams import BadParameter, epoch_time, whole_number

NICE_INTERVALS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_BUCKETS = 2000
# The longest range a read may span (`parse_range`), and the buckets a picked interval
# aims at (`pick_interval`).
MAX_SPAN = 400 * 86400
BUCKETS = 120


# A bad range is a bad parameter: its name is the parameter at fault, or "range" for a from
# and a to that do not fit together.
BadRange = BadParameter


@dataclass(frozen=True)
class TimeRange:
    since: int
    until: int
    interval: int


def pick_interval(span: int, buckets: int = BUCKETS) -> int:
    """The smallest nice interval giving at most `buckets` buckets; multiples of 300 and 3600
    let the store answer from its rollups."""
    for interval in NICE_INTERVALS:
        if span / interval <= buckets:
            return interval
    return max(86400, (span // buckets) // 86400 * 86400)


def chart_intervals() -> tuple[int, ...]:
    """Every interval `pick_interval` gives a range of at most MAX_SPAN: the nice ones, then
    the whole days of the longest ranges. The store builds its rollups at these."""
    days = range(86400, pick_interval(MAX_SPAN) + 1, 86400)
    return tuple(sorted({*NICE_INTERVALS, *days}))


def parse_range(
    params: Mapping[str, str],
    *,
    default_span: int = 86400,
    now: int | None = None,
    max_span: int = MAX_SPAN,
) -> TimeRange:
    now = int(time.time()) if now is None else now
    until = epoch_time(params, "to", now, now)
    since = epoch_time(params, "from", until - default_span, now)
    if since >= until:
        raise BadParameter("range", "from must be before to")
    if until - since > max_span:
        raise BadParameter("range", f"the range may span at most {max_span // 86400} days")
    if params.get("interval"):
        interval = whole_number(params, "interval", 0, 60, max_span)
        if (until - since) / interval > MAX_BUCKETS:
            raise BadParameter("interval", f"at most {MAX_BUCKETS} buckets per request")
    else:
        interval = pick_interval(until - since)
    return TimeRange(since=since, until=until, interval=interval)
