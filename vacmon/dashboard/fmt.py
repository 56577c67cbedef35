"""Plain-text formatting for the pages (ages, UTC times, sizes). Pure: no Django.

These return text only; the templates escape it like any other string.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

DASH = "-"
# What a time no calendar can print shows as: stored rows may hold any integer (a year-9999
# heartbeat, 2**63 - 1), and datetime stops at the year 9999.
FAR = "far future"
PAST = "far past"


def moment(t: float) -> datetime | None:
    """`t` as a UTC datetime, or None where datetime cannot hold it."""
    try:
        return datetime.fromtimestamp(t, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _unprintable(t: float) -> str:
    return FAR if t > 0 else PAST


def age(seconds: float | None) -> str:
    """The original dashboard's age style (spec 4.4): Ns < 120 s, Nm < 2 h, Nh < 48 h, Nd."""
    if seconds is None or math.isnan(seconds):
        return DASH
    if math.isinf(seconds):
        return _unprintable(-seconds) if seconds < 0 else "forever"
    s = int(seconds)
    if s < 0:
        return f"in {age(-s)}"
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    if s < 172800:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def age_since(t: int | None, now: int) -> str:
    # 0 means "unknown" in the heartbeat and boot fields (spec 1.1).
    return DASH if not t else age(now - t)


def utc(t: int | None) -> str:
    if not t:
        return DASH
    found = moment(t)
    return _unprintable(t) if found is None else found.strftime("%Y-%m-%d %H:%M UTC")


def utc_input(t: int) -> str:
    """The value of an <input type="datetime-local"> holding a UTC time ("" if none can)."""
    found = moment(t)
    return "" if found is None else found.strftime("%Y-%m-%dT%H:%M")


def duration(seconds: int | None) -> str:
    if seconds is None or seconds < 0:
        return DASH
    h, rest = divmod(seconds, 3600)
    m = rest // 60
    return f"{h}h {m:02d}m" if h else f"{m}m {seconds % 60:02d}s"


def number(value: float | None, digits: int = 0) -> str:
    if value is None or math.isnan(value):
        return DASH
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if digits == 0:
        return f"{round(value):,}"
    return f"{value:,.{digits}f}"


def ratio(running: float | None, maximum: float | None) -> str:
    return f"{number(running)}/{number(maximum)}"


def kib_as_gib(kib: float | None) -> str:
    return DASH if kib is None else f"{number(kib / 1048576, 1)} GiB"


def daemon_version(text: str | None) -> str:
    """Without the client suffix, as the original table showed it (spec 4.4)."""
    if not text:
        return DASH
    for suffix in (" vacd-factory", " vcycled"):
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


def short_host(name: str) -> str:
    return name.split(".", 1)[0] or name
