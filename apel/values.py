"""Value conversions with the loader's exact acceptance rules and error texts (spec 1.3, 1.5)."""

from __future__ import annotations

import calendar
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

NULLS = frozenset({"", "none", "null"})

# Preference order when a v0.4 dictionary names several benchmarks (spec 1.5).
BENCHMARK_PREFERENCE = ("hepscore23", "hepspec", "si2k")
# How we spell each benchmark type when we write a ServiceLevelType ourselves.
CANONICAL_BENCHMARK = {"hepscore23": "HEPscore23", "hepspec": "HEPSPEC", "si2k": "si2k"}


class InvalidValue(ValueError):
    """A value the loader refuses; str() is the loader's message."""


@dataclass(frozen=True)
class Benchmarks:
    """A v0.4 benchmark dictionary; `values` keeps the sender's key order, keys lower-cased."""

    values: tuple[tuple[str, float], ...]

    @property
    def chosen(self) -> tuple[str, float]:
        """The (type, value) the loader stores: the most preferred known key."""
        found = dict(self.values)
        for key in BENCHMARK_PREFERENCE:
            if key in found:
                return key, found[key]
        raise InvalidValue("No valid benchmark type found")

    def __str__(self) -> str:
        return "{" + ", ".join(f"{k}: {format_float(v)}" for k, v in self.values) + "}"


Value = str | int | float | Benchmarks


def is_null(raw: str) -> bool:
    return raw.lower() in NULLS


def parse_int(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise InvalidValue(f"Invalid int value {raw} in field {name}") from None


def parse_float(raw: str, name: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise InvalidValue(f"Invalid float value {raw} in field {name}") from None


# Years 1..9999, what Python's datetime (used by the loader) can represent.
_MIN_EPOCH = -62135596800
_MAX_EPOCH = 253402300799


def parse_datetime(raw: str) -> int:
    """Return integer epoch seconds (UTC) for an epoch integer or `YYYY-MM-DDTHH:MM:SSZ`."""
    try:
        epoch = int(raw)
    except ValueError:
        # The loader rewrites every "Z" to "UTC" and parses with %Z; on a UTC host the
        # result is UTC, which is what we assume the central server runs in.
        try:
            parsed = time.strptime(raw.replace("Z", "UTC"), "%Y-%m-%dT%H:%M:%S%Z")
        except ValueError:
            raise InvalidValue(f"Unknown datetime format!: {raw}") from None
        return calendar.timegm(parsed)
    if not _MIN_EPOCH <= epoch <= _MAX_EPOCH:
        try:
            datetime.fromtimestamp(epoch, UTC)
        except (ValueError, OverflowError, OSError) as error:
            raise InvalidValue(str(error)) from None
    return epoch


def format_epoch(epoch: int) -> str:
    """Format like the loader's str(datetime) in its error texts: `2026-12-01 08:06:55`."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def format_float(value: float) -> str:
    return repr(value)


def parse_benchmarks(raw: str, name: str) -> Benchmarks:
    """Parse `{hepspec: 10.5, HEPscore23: 12.3}`; keys lower-cased, duplicates refused."""
    text = raw.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise InvalidValue(f"Expecting dictionary-like value. Got {raw} in field {name}")
    pairs: list[tuple[str, float]] = []
    for item in text[1:-1].split(","):
        key, sep, number = item.partition(":")
        if not sep:
            raise InvalidValue(f"Expecting dictionary-like value. Got {raw} in field {name}")
        key = key.strip().lower()
        if any(key == seen for seen, _ in pairs):
            raise InvalidValue(f"Duplicate benchmark type {key} in field {name}")
        pairs.append((key, parse_float(number.strip(), name)))
    benchmarks = Benchmarks(tuple(pairs))
    benchmarks.chosen  # noqa: B018 - raises when no known benchmark type is present
    return benchmarks


def parse_fqan(fqan: str) -> tuple[str | None, str | None, str | None]:
    """Derive (VO, VOGroup, VORole) from an FQAN the way the loader overwrites them.

    `/atlas/uk/Role=pilot/Capability=NULL` -> (`atlas`, `/atlas/uk`, `Role=pilot`); only the
    first of several `;`-separated FQANs counts; a string not starting with `/` is the VO.
    """
    first = fqan.split(";")[0]
    if not first.startswith("/"):
        return first, None, None
    pieces = first.split("/")
    group_parts: list[str] = []
    role: str | None = None
    for piece in pieces:
        if not piece:
            continue
        if piece.lower().startswith("role="):
            role = piece
            break
        group_parts.append(piece)
    vo = pieces[1] if len(pieces) > 1 and pieces[1] else None
    group = "/" + "/".join(group_parts) if group_parts else None
    return vo, group, role


def is_finite(value: float) -> bool:
    return math.isfinite(value)
