"""Typed results of parsing: records, per-record errors and whole-message outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from apel.fields import SCHEMAS, RecordKind
from apel.values import Benchmarks, Value, parse_fqan

JobKey = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class Record:
    """One accepted record. `fields` keeps the sender's order and typed values.

    Datetimes are integer epoch seconds (UTC); absent and null values are left out, except
    VO/VOGroup/VORole, whose raw text the loader keeps (spec 1.1).
    """

    kind: RecordKind
    fields: Mapping[str, Value]
    # The record's text when the parser found it already in canonical "Key: value" form;
    # lets the builder skip re-rendering. Never set it by hand.
    canonical_text: str | None = field(default=None, compare=False, repr=False)

    @property
    def header(self) -> str:
        return SCHEMAS[self.kind].header

    def text(self, name: str) -> str | None:
        value = self.fields.get(name)
        return None if value is None else str(value)

    def integer(self, name: str, default: int = 0) -> int:
        value = self.fields.get(name)
        return value if isinstance(value, int) else default

    @property
    def natural_key(self) -> JobKey | None:
        """(Site, LocalJobId, EndTime) for job records: the primary key of APEL's
        JobRecords table, where a later record with the same key REPLACEs the earlier one.
        The submit host is not part of it."""
        if self.kind not in (RecordKind.JOB, RecordKind.JOB_V04):
            return None
        return (str(self.fields["Site"]), str(self.fields["LocalJobId"]), self.integer("EndTime"))

    @property
    def vo_triplet(self) -> tuple[str | None, str | None, str | None]:
        """(VO, VOGroup, VORole) as the loader stores them: derived from FQAN when present."""
        fqan = self.text("FQAN")
        if fqan is not None:
            return parse_fqan(fqan)
        return self.text("VO"), self.text("VOGroup"), self.text("VORole")

    @property
    def benchmark(self) -> tuple[str, float] | None:
        """(lower-case benchmark type, value per core) of a job or summary record."""
        level = self.fields.get("ServiceLevel")
        if isinstance(level, Benchmarks):
            return level.chosen
        kind = self.text("ServiceLevelType")
        if kind is None or not isinstance(level, float):
            return None
        return kind.lower(), level


@dataclass(frozen=True, slots=True)
class RecordError:
    """Why one record was refused. `message` is the loader's own text."""

    index: int  # 0-based position of the record in the message
    line: int  # 1-based line of the message where the record starts
    message: str
    hint: str | None = None  # our clarification where the loader's text misleads


@dataclass(slots=True)
class ParseResult:
    """Outcome of parsing one uploaded message.

    `message_error` set means the whole message was refused (bad header); otherwise each
    record is either in `records` or has an entry in `errors`.
    """

    header: str
    kind: RecordKind | None
    records: list[Record] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    message_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.message_error is None and not self.errors
