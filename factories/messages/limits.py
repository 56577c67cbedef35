"""Physical bounds of every numeric and time field, and the size of what unknown keys may hold.

A value outside these bounds cannot have come from a working factory, and it can break
whatever reads it: two `running_hs06` of 1.7e308 sum to infinity, a year-9999 heartbeat has
no calendar date a page can print, and a thousand nested arrays under an unknown key overflow
the encoder that stores them. So they are refused when parsed, by the server and by the
factory library alike, with a reason naming the field. The readers stay robust on their own
as well, because rows stored before these bounds existed may hold anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from factories.messages.schema import FIELDS, Kind

YEAR = 365 * 86400
# Time fields: no earlier than this before the receiver's clock (Vac first ran in 2013, and a
# long-lived factory's boot_time may be years old), no later than this after it. A clock this
# far ahead is broken, not skewed; the skew flag handles clocks that are merely wrong.
TIME_PAST = 30 * YEAR
TIME_FUTURE = YEAR
# 0 means "unknown" in the heartbeat, boot and machine time fields (spec 1.1).
UNKNOWN_TIME = 0

# The largest factory or space we can imagine is a whole cloud region; these are a thousand
# times that, so they only ever stop values no real host could report.
_PROCESSORS = 10**7
_MACHINES = 10**7
_HS06 = 1e9  # about 100 HS06 per processor, at the processor bound
_KIB = 2**50  # a zebibyte in KiB
_INODES = 2**48
_SECONDS = 10**10  # about 300 years of wall clock
_CPU_SECONDS = _PROCESSORS * _SECONDS

# The highest value of each numeric field; none may be negative.
HIGHEST: dict[str, float] = {
    "running_processors": _PROCESSORS,
    "max_processors": _PROCESSORS,
    "min_processors": _PROCESSORS,
    "num_processors": _PROCESSORS,
    "running_machines": _MACHINES,
    "max_machines": _MACHINES,
    "num_machines": _MACHINES,
    "num_machinetypes": 10**5,
    "num_before_fizzle": _MACHINES,
    "running_hs06": _HS06,
    "max_hs06": _HS06,
    "hs06": _HS06,
    "load_average": 1e6,
    # Over 100 for a multi-processor machine (100 per busy processor, spec 1.5).
    "cpu_percentage": 100.0 * _PROCESSORS,
    "cpu_seconds": _CPU_SECONDS,
    "root_disk_avail_kb": _KIB,
    "daemon_disk_avail_kb": _KIB,
    "root_disk_avail_inodes": _INODES,
    "daemon_disk_avail_inodes": _INODES,
    "mem_total_kb": _KIB,
    "mem_used_kb": _KIB,
    "swap_used_kb": _KIB,
    "swap_free_kb": _KIB,
    "bytes_per_processor": _KIB * 1024,
    "max_wallclock_seconds": _SECONDS,
    "min_wallclock_seconds": _SECONDS,
}

NUMBER_BOUNDS: dict[str, tuple[float, float]] = {n: (0, h) for n, h in HIGHEST.items()}

# What unknown keys (kept as raw JSON in Message.extra) may hold. Real senders add none;
# these leave room for a newer Vac's extra fields and nothing bigger.
MAX_EXTRA_KEYS = 64
MAX_EXTRA_DEPTH = 8
MAX_EXTRA_NODES = 1000
MAX_EXTRA_STRING = 1024
_EXTRA_INT = 2**63 - 1

# Every numeric field must have bounds: a new field without them would let any value in.
for _table in FIELDS.values():
    for _name, _kind in _table.items():
        if _kind in (Kind.INT, Kind.FLOAT) and _name not in HIGHEST:
            raise RuntimeError(f"numeric field {_name} has no bounds")

TIME_FIELDS: dict[str, tuple[str, ...]] = {
    message_type: tuple(name for name, kind in table.items() if kind is Kind.TIME)
    for message_type, table in FIELDS.items()
}
# Per message type, the highest value of each field the parser's fast path takes as it comes:
# numbers by their bound, times by 64 bits (their window depends on the receiver's clock and
# is checked once the message is built, by check_times).
FAST_HIGHEST: dict[str, dict[str, float]] = {
    message_type: {
        name: HIGHEST[name] if kind in (Kind.INT, Kind.FLOAT) else 2**63 - 1
        for name, kind in table.items()
        if kind is not Kind.STR
    }
    for message_type, table in FIELDS.items()
}


class OutOfBounds(ValueError):
    """`reason` is out_of_range, too_deep or too_large; `field` names the key."""

    def __init__(self, reason: str, field: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.field = field
        self.detail = detail


def check_number(name: str, value: float, sent_as: str | None = None) -> None:
    """Raise OutOfBounds unless `value` is within the bounds of field `name` (reported under
    the key it was sent as, which for a legacy alias is not `name`)."""
    high = HIGHEST[name]
    if not 0 <= value <= high:
        key = sent_as or name
        raise OutOfBounds("out_of_range", key, f"{key} must be from 0 to {high:g}")


def check_times(message_type: str, fields: Mapping[str, Any], received: int) -> None:
    earliest, latest = received - TIME_PAST, received + TIME_FUTURE
    for name in TIME_FIELDS[message_type]:
        value = fields.get(name)
        if value is None or earliest <= value <= latest:
            continue
        if value == UNKNOWN_TIME and name != "time_sent":
            continue
        raise OutOfBounds(
            "out_of_range",
            name,
            f"{name} must be within {TIME_PAST // YEAR} years before and "
            f"{TIME_FUTURE // YEAR} year after the time received",
        )


def check_extra(extra: Mapping[str, Any]) -> None:
    """Refuse unknown keys that nest or grow beyond what any sender needs. Walks without
    recursion, so a value nested a million deep costs MAX_EXTRA_DEPTH steps, not a crash."""
    if len(extra) > MAX_EXTRA_KEYS:
        raise OutOfBounds("too_large", "", f"more than {MAX_EXTRA_KEYS} unknown keys")
    nodes = 0
    for key, value in extra.items():
        if len(key) > MAX_EXTRA_STRING:
            raise OutOfBounds("too_large", key[:40], "an unknown key's name is too long")
        stack: list[tuple[Any, int]] = [(value, 1)]
        while stack:
            item, depth = stack.pop()
            nodes += 1
            if nodes > MAX_EXTRA_NODES:
                detail = f"unknown keys hold over {MAX_EXTRA_NODES} values"
                raise OutOfBounds("too_large", key, detail)
            if isinstance(item, dict | list):
                if depth > MAX_EXTRA_DEPTH:
                    raise OutOfBounds("too_deep", key, f"{key} nests over {MAX_EXTRA_DEPTH} levels")
                children = item.items() if isinstance(item, dict) else enumerate(item)
                for child_key, child in children:
                    if isinstance(child_key, str) and len(child_key) > MAX_EXTRA_STRING:
                        raise OutOfBounds("too_large", key, f"{key} holds a key that is too long")
                    stack.append((child, depth + 1))
            else:
                _check_scalar(key, item)


def _check_scalar(key: str, item: Any) -> None:
    if isinstance(item, str):
        if len(item) > MAX_EXTRA_STRING:
            raise OutOfBounds("too_large", key, f"{key} holds a string over {MAX_EXTRA_STRING}")
    elif isinstance(item, int) and not -_EXTRA_INT <= item <= _EXTRA_INT:
        raise OutOfBounds("too_large", key, f"{key} holds an integer beyond 64 bits")
