"""`?from=&to=&interval=` parsing shared by the API and the dashboard."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

NICE_INTERVALS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_BUCKETS = 2000


class BadRange(ValueError):
    pass


@dataclass(frozen=True)
class TimeRange:
    since: int
    until: int
    interval: int


def _digits(text: str) -> bool:
    # str.isdigit() also holds for "³", which int() refuses: ASCII digits only.
    return text.isascii() and text.isdigit()


def parse_time(value: str | None, default: int, now: int) -> int:
    if value is None or value == "":
        return default
    value = value.strip()
    if value.startswith("-") and _digits(value[1:]):
        return now - int(value[1:])
    if _digits(value):
        return int(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRange(f"{value!r} is neither epoch seconds nor an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise BadRange(f"{value!r} needs a timezone, e.g. {value}Z")
    return int(parsed.timestamp())


def pick_interval(span: int, buckets: int = 120) -> int:
    """The smallest nice interval giving at most `buckets` buckets; multiples of 300 and 3600
    let the store answer from its rollups."""
    for interval in NICE_INTERVALS:
        if span / interval <= buckets:
            return interval
    return max(86400, (span // buckets) // 86400 * 86400)


def parse_range(
    params: dict[str, str],
    *,
    default_span: int = 86400,
    now: int | None = None,
    max_span: int = 400 * 86400,
) -> TimeRange:
    now = int(time.time()) if now is None else now
    until = parse_time(params.get("to"), now, now)
    since = parse_time(params.get("from"), until - default_span, now)
    if since >= until:
        raise BadRange("from must be before to")
    if until - since > max_span:
        raise BadRange(f"the range may span at most {max_span // 86400} days")
    raw_interval = params.get("interval")
    if raw_interval:
        if not _digits(raw_interval) or int(raw_interval) < 60:
            raise BadRange("interval must be a whole number of seconds, at least 60")
        interval = int(raw_interval)
        if (until - since) / interval > MAX_BUCKETS:
            raise BadRange(f"at most {MAX_BUCKETS} buckets per request")
    else:
        interval = pick_interval(until - since)
    return TimeRange(since=since, until=until, interval=interval)
