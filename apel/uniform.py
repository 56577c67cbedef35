"""A whole-message fast path for uniform job messages: every record lists the same keys in
the same order, in the canonical `Key: value` layout, as a factory writes them.

Such a message is read with one regular expression and checked column by column with
C-level operations. The path only ever says "every record is good, and these are their
values"; anything else (another layout, a key order that changes, a value that fails any
check) returns None, and the record-by-record parser, which reproduces the loader's
messages, takes over. So this path can make parsing faster but never changes a verdict.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import ge
from typing import cast

from apel.checks import (
    DECIMAL_10_3_LIMIT,
    FUTURE_TOLERANCE,
    INT_MAX,
    JOB_INT_FIELDS,
    JOB_TEXT_LIMITS,
    VALID_SERVICE_LEVEL_TYPES,
)
from apel.fields import SCHEMAS, FieldType, RecordKind, Schema
from apel.records import ParseResult, Record
from apel.values import Value

_EPOCH_LIMIT = 253402300799  # the last second of year 9999, as apel.values allows


# An integer written as str(int) writes it: no sign, no leading zero, no "_" or blanks.
_CANONICAL_INT = "(0|-?[1-9][0-9]*)"
# Any other value as the record-by-record reader would take it unchanged: printable ASCII
# only (no tab, carriage return or other control character, which strip() and splitlines()
# treat as blanks or line breaks, and nothing ssmsend's ASCII decoding refuses), no blank
# at either end, and not a null in any case.
_PLAIN_VALUE = "((?![Nn][Oo][Nn][Ee]\\n|[Nn][Uu][Ll][Ll]\\n)[!-~][ -~]*(?<! ))"


@lru_cache(maxsize=64)
def _pattern(keys: tuple[str, ...], kind: RecordKind) -> re.Pattern[str]:
    types, integers = SCHEMAS[kind].types, (FieldType.INT, FieldType.DATETIME)
    lines = "".join(
        f"{re.escape(key)}: {_CANONICAL_INT if types[key] in integers else _PLAIN_VALUE}\\n"
        for key in keys
    )
    return re.compile(lines + "%%\\n")


def _keys(first: str, schema: Schema) -> tuple[str, ...] | None:
    keys = tuple(line.partition(": ")[0] for line in first.split("\n") if line)
    if len(set(keys)) != len(keys) or not set(keys) <= schema.types.keys():
        return None
    if not set(schema.mandatory) <= set(keys):
        return None
    # ServiceLevelType and ServiceLevel both present is what check_job needs to pass.
    if not {"ServiceLevelType", "ServiceLevel"} <= set(keys):
        return None
    return keys


@dataclass(frozen=True, slots=True)
class UniformJobs:
    """A uniform job message that passed every check, kept as columns: the upload path
    stores it without building a `Record` per job, and `records()` builds them for
    everyone else."""

    header: str
    kind: RecordKind
    keys: tuple[str, ...]
    columns: Mapping[str, Sequence[Value]]
    texts: Sequence[str]  # each record's canonical text, "Key: value" lines without "%%"

    def __len__(self) -> int:
        return len(self.texts)

    def records(self) -> list[Record]:
        keys, kind = self.keys, self.kind
        rows = zip(*(self.columns[key] for key in keys), strict=True)
        return [
            Record(kind, dict(zip(keys, values, strict=True)), text)
            for values, text in zip(rows, self.texts, strict=True)
        ]

    def result(self) -> ParseResult:
        return ParseResult(header=self.header, kind=self.kind, records=self.records())


def uniform_jobs(header: str, rest: str, schema: Schema, now: int) -> UniformJobs | None:
    """A uniform v0.3 job message body (after `header`) read whole, or None."""
    if schema.kind is not RecordKind.JOB or not rest:
        return None
    if rest.endswith("%%"):
        rest += "\n"  # parse_message strips the body, and with it the last newline
    if not rest.endswith("%%\n") or not rest.isascii():
        return None
    texts = rest.split("%%\n")
    texts.pop()  # the empty tail after the last marker
    keys = _keys(texts[0], schema)
    if keys is None:
        return None
    # Split on the record pattern: what lies between two matches comes out as one part
    # each, and is empty only if the records follow each other with nothing in between.
    parts = _pattern(keys, schema.kind).split(rest)
    width = len(keys) + 1
    if len(parts) != width * len(texts) + 1 or any(parts[0::width]):
        return None
    # Each record holds one marker, so a value with "%%" in it (which the record-by-record
    # reader would cut there) makes more markers than records.
    if rest.count("%%") != len(texts):
        return None
    raw = [parts[1 + k :: width] for k in range(len(keys))]
    columns = _typed_columns(keys, raw, schema, now)
    if columns is None:
        return None
    return UniformJobs(header, schema.kind, keys, dict(zip(keys, columns, strict=True)), texts)


def _typed_columns(
    keys: Sequence[str], raw: Sequence[Sequence[str]], schema: Schema, now: int
) -> list[Sequence[Value]] | None:
    columns: list[Sequence[Value]] = []
    named: dict[str, Sequence[Value]] = {}
    try:
        for key, column in zip(keys, raw, strict=True):
            ftype = schema.types[key]
            typed: Sequence[Value] = column
            if ftype is FieldType.INT or ftype is FieldType.DATETIME:
                # The pattern matched only canonical integers ("007" or "+7" would parse
                # but not be written back the same way).
                ints = list(map(int, column))
                # Epochs outside years 1970..9999 take the careful path's checks.
                if ftype is FieldType.DATETIME and (min(ints) < 0 or max(ints) > _EPOCH_LIMIT):
                    return None
                typed = ints
            elif ftype is FieldType.FLOAT:
                floats = list(map(float, column))
                if list(map(repr, floats)) != list(column):
                    return None
                typed = floats
            elif ftype is not FieldType.STR:
                return None
            # A text value needs no null check here: _PLAIN_VALUE matched none.
            named[key] = typed
            columns.append(typed)
    except ValueError:
        return None
    return columns if _all_pass(named, now) else None


def _all_pass(named: dict[str, Sequence[Value]], now: int) -> bool:
    """check_job's verdict for every record at once: True only if none is refused."""
    starts = cast(list[int], named["StartTime"])
    ends = cast(list[int], named["EndTime"])
    if not all(map(ge, ends, starts)) or max(ends) > now + FUTURE_TOLERANCE:
        return False
    units = {str(unit).lower() for unit in named["ServiceLevelType"]}
    if not units <= VALID_SERVICE_LEVEL_TYPES:
        return False
    levels = cast(list[float], named["ServiceLevel"])
    if not all(map(math.isfinite, levels)) or max(map(abs, levels)) >= DECIMAL_10_3_LIMIT:
        return False
    for key in named.keys() & JOB_INT_FIELDS:
        column = cast(list[int], named[key])
        if min(column) < 0 or max(column) > INT_MAX:
            return False
    for key in JOB_TEXT_LIMITS.keys() & named.keys():
        if max(map(len, cast(list[str], named[key]))) > JOB_TEXT_LIMITS[key]:
            return False
    return True
