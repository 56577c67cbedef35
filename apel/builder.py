"""Serialise records into APEL text messages the loader accepts (spec 1.1, checklist 1)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from apel.fields import SCHEMAS
from apel.records import Record
from apel.values import Value

MAX_RECORDS_PER_MESSAGE = 1000
# AMS refuses messages of 1 MB or more and base64-encodes the signed text (x 4/3); keeping
# the unsigned body under 700 kB leaves room for that plus the S/MIME signature.
MAX_BODY_BYTES = 700_000


class BuildError(ValueError):
    """A record cannot be written without the loader misreading it."""


@dataclass(frozen=True, slots=True)
class Message:
    header: str
    body: str
    record_count: int


def _render(value: Value) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _line(name: str, value: Value) -> str:
    return f"{name}: {value!r}\n" if type(value) is float else f"{name}: {value}\n"


def serialise_record(record: Record) -> str:
    """Return `Key: value` lines (each ending in a newline) without the `%%` marker."""
    if record.canonical_text is not None:
        return record.canonical_text
    fields = record.fields
    text = "".join([_line(name, value) for name, value in fields.items()])
    # Bulk checks on the whole text; anything suspicious takes the careful path, which
    # names the offending field or drops a blank value.
    if (
        "%%" in text
        or "\r" in text
        or "\t" in text
        or " \n" in text
        or ":  " in text
        or text.count("\n") != len(fields)
        or not text.isascii()
    ):
        return _serialise_carefully(record)
    return text


def _serialise_carefully(record: Record) -> str:
    lines: list[str] = []
    for name, value in record.fields.items():
        text = _render(value)
        # The loader splits the body on "%%" anywhere and each record on line breaks, and
        # ssmsend refuses non-ASCII: such a value would silently change meaning or fail.
        if "%%" in text:
            raise BuildError(f"Value of {name} contains '%%': {text!r}")
        if "\n" in text or "\r" in text or not text.isascii():
            raise BuildError(f"Value of {name} contains a line break or non-ASCII: {text!r}")
        if not text.strip():
            continue
        lines.append(f"{name}: {text.strip()}\n")
    return "".join(lines)


def assemble(header: str, record_texts: Sequence[str]) -> str:
    """Header line, then each record followed by `%%`, as the official client writes."""
    return header + "\n" + "".join(text + "%%\n" for text in record_texts)


def fit_count(
    header: str,
    record_texts: Sequence[str],
    max_records: int = MAX_RECORDS_PER_MESSAGE,
    max_bytes: int = MAX_BODY_BYTES,
) -> int:
    """How many leading records fit in one message; at least one, so nothing gets stuck."""
    return fit_lengths(header, [len(text) for text in record_texts[:max_records]], max_bytes)


def fit_lengths(header: str, lengths: Sequence[int], max_bytes: int = MAX_BODY_BYTES) -> int:
    """fit_count from the records' lengths alone (ASCII text: characters are bytes)."""
    size = len(header) + 1
    count = 0
    for length in lengths:
        size += length + 3
        if size > max_bytes and count:
            break
        count += 1
    return count


def _validated_schema_header(record: Record) -> str:
    schema = SCHEMAS[record.kind]
    unknown = [name for name in record.fields if name not in schema.types]
    if unknown:
        raise BuildError(f"Fields not in {schema.header}: {', '.join(unknown)}")
    return schema.header


def build_messages(
    records: Iterable[Record],
    max_records: int = MAX_RECORDS_PER_MESSAGE,
    max_bytes: int = MAX_BODY_BYTES,
) -> list[Message]:
    """Group records by header (first-seen order) and cut them into loader-sized messages."""
    groups: dict[str, list[str]] = {}
    for record in records:
        header = _validated_schema_header(record)
        groups.setdefault(header, []).append(serialise_record(record))
    messages: list[Message] = []
    for header, texts in groups.items():
        start = 0
        while start < len(texts):
            window = texts[start : start + max_records]
            count = fit_count(header, window, max_records, max_bytes)
            body = assemble(header, window[:count])
            if len(body) > max_bytes:
                raise BuildError(f"One record alone exceeds {max_bytes} bytes")
            messages.append(Message(header, body, count))
            start += count
    return messages
