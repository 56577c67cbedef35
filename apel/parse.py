"""Parse uploaded APEL text messages with the central loader's rules, record by record.

The loader is all-or-nothing per message (spec 3); we keep its per-record verdicts but
accept the good records, so one bad record never costs its neighbours.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import cast

from apel.checks import CHECKS
from apel.fields import SCHEMAS, FieldType, HeaderError, Schema, schema_for_header
from apel.records import ParseResult, Record, RecordError
from apel.uniform import UniformJobs, uniform_jobs
from apel.values import (
    NULLS,
    InvalidValue,
    Value,
    parse_benchmarks,
    parse_datetime,
    parse_float,
    parse_int,
)

RECORD_SEPARATOR = "%%"
_KEEP_RAW_NULLS = frozenset({"VO", "VOGroup", "VORole"})
NO_COLON = "Message header is incorrect: not enough values to unpack (expected 2, got 1)"
NO_COLON_HINT = "a line without ':' (a blank line or a comment inside a record?)"
NOT_ASCII = "Record contains non-ASCII characters"
NOT_ASCII_HINT = "ssmsend decodes messages as ASCII and would fail on the whole message"


class RecordRefused(InvalidValue):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def _read_lines(chunk: str, schema: Schema) -> dict[str, Value]:
    fields: dict[str, Value] = {}
    types, mandatory = schema.types, schema.mandatory
    for line in chunk.splitlines():
        key, colon, raw = line.partition(":")
        if not colon:
            raise RecordRefused(NO_COLON, NO_COLON_HINT)
        key, raw = key.strip(), raw.strip()
        ftype = types.get(key)
        if ftype is None:
            if key in schema.ignored:
                continue
            raise RecordRefused(f"Unknown field: {key}")
        if raw.lower() in NULLS:
            if key in mandatory:
                raise RecordRefused(f"NULL in mandatory field: {key}")
            # A later null line overrides an earlier value: the last line wins.
            fields.pop(key, None)
            if raw and key in _KEEP_RAW_NULLS:
                fields[key] = raw
            continue
        fields[key] = raw if ftype is FieldType.STR else _CONVERTERS[ftype](raw, key)
    return fields


# The fast path reads a clean record with bulk, C-level string operations; anything
# unusual (nulls, duplicate or unknown keys, control characters, a bad value) falls back
# to the line-by-line reader, which reproduces the loader's order of checks and messages.
Converter = Callable[[str, str], Value]
_CONVERTERS: Mapping[FieldType, Converter] = {
    FieldType.INT: parse_int,
    FieldType.FLOAT: parse_float,
    FieldType.DATETIME: lambda raw, _name: parse_datetime(raw),
    FieldType.BENCHMARKS: parse_benchmarks,
}


def _typed_fields(schema: Schema) -> tuple[tuple[str, Converter], ...]:
    return tuple(
        (name, _CONVERTERS[ftype]) for name, ftype in schema.types.items() if ftype in _CONVERTERS
    )


_TYPED = {kind: _typed_fields(schema) for kind, schema in SCHEMAS.items()}


def _fast_fields(chunk: str, schema: Schema) -> tuple[dict[str, Value], bool] | None:
    """Fields of a record in canonical layout, and whether every value is canonical too."""
    # Only the canonical "Key: value" layout takes this path, so no strip() is needed.
    if "\t" in chunk or "\r" in chunk or " \n" in chunk or "\n " in chunk or ":  " in chunk:
        return None
    lines = chunk.split("\n")
    try:
        fields = cast(dict[str, Value], dict([line.split(": ", 1) for line in lines]))
    except ValueError:  # a line without ": "
        return None
    if len(fields) != len(lines):
        return None
    # isprintable() is False for every ASCII control character, which str.strip() and
    # splitlines() would treat as whitespace or line breaks.
    if not fields.keys() <= schema.types.keys() or not chunk.replace("\n", "").isprintable():
        return None
    # With exactly ": " between key and value and no trailing blanks, a null value can
    # only look like this.
    lowered = chunk.lower() + "\n"
    if ": none\n" in lowered or ": null\n" in lowered:
        return None
    canonical = True
    try:
        for name, convert in _TYPED[schema.kind]:
            raw = fields.get(name)
            if raw is not None:
                value = fields[name] = convert(str(raw), name)
                # "1e3" or "007" parse fine but would not be written back the same way.
                if canonical and (repr(value) if type(value) is float else str(value)) != raw:
                    canonical = False
    except InvalidValue:
        return None
    return fields, canonical


def parse_record(chunk: str, schema: Schema, now: int) -> Record:
    """Parse one record's text (without `%%`); raise InvalidValue with the loader's text."""
    if not chunk.isascii():
        raise RecordRefused(NOT_ASCII, NOT_ASCII_HINT)
    chunk = chunk.strip()
    fast = _fast_fields(chunk, schema)
    fields, canonical = fast if fast is not None else (_read_lines(chunk, schema), False)
    for name in schema.mandatory:
        if name not in fields:
            raise RecordRefused(f"Mandatory field {name} not specified.")
    CHECKS[schema.kind](fields, now)
    return Record(schema.kind, fields, chunk + "\n" if canonical else None)


def parse_message(text: str, now: datetime) -> ParseResult:
    """Parse an uploaded APEL text message.

    `now` (timezone-aware) bounds EndTime (at most two days ahead) and summary months.
    Returns every accepted record and one RecordError per refused record; a header the
    loader would not dispatch on refuses the whole message via `message_error`.
    """
    read = read_message(text, now)
    return read if isinstance(read, ParseResult) else read.result()


def read_message(text: str, now: datetime) -> ParseResult | UniformJobs:
    """As parse_message, but a uniform job message, all of whose records are good, comes
    back as its columns (apel.uniform.UniformJobs), without a Record built per job."""
    body = text.strip()
    header, _, rest = body.partition("\n")
    header_offset = 0 if not rest else 1
    if not header.isascii():
        return ParseResult(header=header.strip(), kind=None, message_error=NOT_ASCII)
    try:
        schema = schema_for_header(header)
    except HeaderError as error:
        return ParseResult(header=header.strip(), kind=None, message_error=str(error))
    now_epoch = int(now.timestamp())
    # A factory's uniform message is read whole; the path only ever answers "all good".
    uniform = uniform_jobs(header.strip(), rest, schema, now_epoch)
    if uniform is not None:
        return uniform
    result = ParseResult(header=header.strip(), kind=schema.kind)
    parse_each(result, rest, schema, now_epoch, 1 + header_offset)
    return result


def parse_each(result: ParseResult, rest: str, schema: Schema, now: int, line: int) -> None:
    """Parse record by record into `result`, with the loader's verdict for each one."""
    index = 0
    for chunk in rest.split(RECORD_SEPARATOR):
        # Leading blank lines do not count as the record's first line.
        start = line + chunk[: len(chunk) - len(chunk.lstrip())].count("\n")
        line += chunk.count("\n")
        if not chunk or chunk.isspace():
            continue
        try:
            result.records.append(parse_record(chunk, schema, now))
        except RecordRefused as error:
            result.errors.append(RecordError(index, start, str(error), error.hint))
        except InvalidValue as error:
            result.errors.append(RecordError(index, start, str(error)))
        index += 1
