"""Nagios plugin API: exit codes, plugin output, perfdata and threshold ranges (spec 2.2)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum


class PluginOutputError(ValueError):
    """Plugin output or a perfdata/range string does not follow the Nagios plugin API."""


class Status(IntEnum):
    """Service state; the value is the plugin exit code."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3

    @classmethod
    def from_exit_code(cls, code: int) -> Status:
        if code not in (0, 1, 2, 3):
            raise PluginOutputError(f"exit code {code} is not a Nagios state (0-3)")
        return cls(code)


# Severity used when several checks fold into one result; this is monitoring-plugins'
# max_state_alt(): an UNKNOWN part must not hide a WARNING or CRITICAL one.
_SEVERITY = {Status.OK: 0, Status.UNKNOWN: 1, Status.WARNING: 2, Status.CRITICAL: 3}


def worst(statuses: Iterable[Status]) -> Status:
    """The most severe status (CRITICAL > WARNING > UNKNOWN > OK); OK when empty."""
    return max(statuses, key=_SEVERITY.__getitem__, default=Status.OK)


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBER_RE = re.compile(rf"^{_NUMBER}$")
_RANGE_RE = re.compile(rf"^(?P<inside>@)?(?:(?P<start>~|{_NUMBER}):)?(?P<end>{_NUMBER})?$")


def _number(text: str, what: str) -> float:
    if not _NUMBER_RE.match(text):
        raise PluginOutputError(f"{what} {text!r} is not a number")
    return float(text)


@dataclass(frozen=True)
class Range:
    """A threshold range: alert when the value is outside [start, end] (inside if `inside`)."""

    start: float
    end: float
    inside: bool = False

    @classmethod
    def parse(cls, text: str) -> Range:
        """Parse `10`, `10:`, `~:10`, `10:20` or `@10:20`."""
        match = _RANGE_RE.match(text.strip())
        if not match or (match["end"] is None and ":" not in text):
            raise PluginOutputError(f"bad threshold range {text!r}")
        start_text = match["start"]
        if start_text is None:
            start = 0.0
        elif start_text == "~":
            start = -math.inf
        else:
            start = float(start_text)
        end = math.inf if match["end"] is None else float(match["end"])
        if start > end:
            raise PluginOutputError(f"threshold range {text!r} starts after it ends")
        return cls(start, end, bool(match["inside"]))

    def alerts(self, value: float) -> bool:
        """True when `value` should raise the alert this range guards."""
        within = self.start <= value <= self.end
        return within if self.inside else not within

    def __str__(self) -> str:
        end = "" if self.end == math.inf else _fmt(self.end)
        if self.start == 0:
            text = end or "0:"
        else:
            start = "~" if self.start == -math.inf else _fmt(self.start)
            text = f"{start}:{end}"
        return ("@" if self.inside else "") + text


def _fmt(value: float) -> str:
    # Callers may hand in ints (counts); perfdata numbers are C-locale decimals either way.
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


@dataclass(frozen=True)
class Thresholds:
    """Warning and critical ranges for one perfdata label."""

    warning: Range | None = None
    critical: Range | None = None

    @classmethod
    def parse(cls, warning: str | None = None, critical: str | None = None) -> Thresholds:
        return cls(
            Range.parse(warning) if warning else None,
            Range.parse(critical) if critical else None,
        )

    def evaluate(self, value: float) -> Status:
        """CRITICAL is checked first, as check_* plugins do."""
        if self.critical is not None and self.critical.alerts(value):
            return Status.CRITICAL
        if self.warning is not None and self.warning.alerts(value):
            return Status.WARNING
        return Status.OK


# Units from the plugin guidelines; GB is not listed there but check_disk and others emit it.
UNITS = frozenset({"", "s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB", "c"})
_VALUE_RE = re.compile(rf"^(?P<value>{_NUMBER}|U)(?P<uom>[A-Za-z%]*)$")


@dataclass(frozen=True)
class PerfDatum:
    """One `'label'=value[UOM];[warn];[crit];[min];[max]` item; value None means `U`."""

    label: str
    value: float | None
    uom: str = ""
    warning: Range | None = None
    critical: Range | None = None
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if not self.label:
            raise PluginOutputError("perfdata label must not be empty")
        if self.uom not in UNITS:
            raise PluginOutputError(f"perfdata unit {self.uom!r} is not a Nagios unit")

    def render(self) -> str:
        label = self.label
        if any(c in label for c in " '="):
            label = "'" + label.replace("'", "''") + "'"
        value = "U" if self.value is None else _fmt(self.value)
        fields = [
            f"{value}{self.uom}",
            "" if self.warning is None else str(self.warning),
            "" if self.critical is None else str(self.critical),
            "" if self.minimum is None else _fmt(self.minimum),
            "" if self.maximum is None else _fmt(self.maximum),
        ]
        return f"{label}=" + ";".join(fields).rstrip(";")


def render_perfdata(items: Iterable[PerfDatum]) -> str:
    return " ".join(item.render() for item in items)


def _read_label(text: str, pos: int) -> tuple[str, int]:
    """Read a label at `pos`, returning it and the index of its `=`."""
    if text[pos] != "'":
        end = text.find("=", pos)
        if end == -1 or " " in text[pos:end]:
            raise PluginOutputError(f"perfdata item without '=' at {text[pos:]!r}")
        return text[pos:end], end
    label: list[str] = []
    pos += 1
    while True:
        close = text.find("'", pos)
        if close == -1:
            raise PluginOutputError("unterminated quoted perfdata label")
        label.append(text[pos:close])
        # A doubled quote inside a quoted label stands for one quote character.
        if text.startswith("''", close):
            label.append("'")
            pos = close + 2
            continue
        if not text.startswith("=", close + 1):
            raise PluginOutputError("quoted perfdata label not followed by '='")
        return "".join(label), close + 1


def _optional(text: str, what: str) -> float | None:
    return _number(text, what) if text else None


def _perf_datum(label: str, spec: str) -> PerfDatum:
    fields = spec.split(";")
    if len(fields) > 5:
        raise PluginOutputError(f"perfdata {label!r} has more than 5 fields")
    fields += [""] * (5 - len(fields))
    match = _VALUE_RE.match(fields[0])
    if not match:
        raise PluginOutputError(f"perfdata {label!r} has a bad value {fields[0]!r}")
    value = None if match["value"] == "U" else float(match["value"])
    return PerfDatum(
        label=label,
        value=value,
        uom=match["uom"],
        warning=Range.parse(fields[1]) if fields[1] else None,
        critical=Range.parse(fields[2]) if fields[2] else None,
        minimum=_optional(fields[3], "perfdata minimum"),
        maximum=_optional(fields[4], "perfdata maximum"),
    )


def parse_perfdata(text: str) -> tuple[PerfDatum, ...]:
    """Parse space-separated perfdata items; any malformed item raises PluginOutputError."""
    items: list[PerfDatum] = []
    pos, size = 0, len(text)
    while True:
        while pos < size and text[pos] in " \t":
            pos += 1
        if pos >= size:
            return tuple(items)
        label, equals = _read_label(text, pos)
        end = equals + 1
        while end < size and text[end] not in " \t":
            end += 1
        items.append(_perf_datum(label, text[equals + 1 : end]))
        pos = end


# `STATUS - text`, `STATUS: text`, `SERVICE STATUS - text`, `SERVICE STATUS: text` or `STATUS`.
_HEAD_RE = re.compile(
    r"^(?:(?P<service>\S+) )?(?P<status>OK|WARNING|CRITICAL|UNKNOWN)"
    r"(?:\s*(?:-|:)(?:\s+(?P<summary>.*)|\s*)|\s*)$"
)


@dataclass(frozen=True)
class PluginOutput:
    """Parsed plugin output: status from the exit code, text split from perfdata."""

    status: Status
    summary: str
    details: str = ""
    perfdata: tuple[PerfDatum, ...] = ()
    service: str | None = None

    def render(self) -> str:
        """Plugin output text in the API's format (the inverse of parse_plugin_output)."""
        head = f"{self.status.name} - {self.summary}" if self.summary else self.status.name
        if self.service:
            head = f"{self.service} {head}"
        if self.perfdata:
            head += " | " + render_perfdata(self.perfdata)
        return head + ("\n" + self.details if self.details else "")


def _split_lines(text: str) -> tuple[str, list[str], list[str]]:
    """First line text, long-output lines and perfdata chunks (Nagios 3 multi-line layout)."""
    lines = text.replace("\r\n", "\n").rstrip("\n").split("\n")
    first, bar, perf = lines[0].partition("|")
    perf_chunks = [perf] if bar else []
    long_lines: list[str] = []
    in_perf = False
    for line in lines[1:]:
        if in_perf:
            perf_chunks.append(line)
            continue
        before, bar, after = line.partition("|")
        # Text before the first `|` on a later line still belongs to the long output.
        if before.strip() or not bar:
            long_lines.append(before.rstrip())
        if bar:
            in_perf = True
            perf_chunks.append(after)
    return first.strip(), long_lines, perf_chunks


def parse_plugin_output(text: str, exit_code: int) -> PluginOutput:
    """Parse what a plugin printed; the exit code is authoritative for the status.

    Raises PluginOutputError on an exit code outside 0-3, empty output, malformed perfdata,
    or a first line whose status word contradicts the exit code.
    """
    status = Status.from_exit_code(exit_code)
    if not text.strip():
        raise PluginOutputError("plugin printed nothing")
    first, long_lines, perf_chunks = _split_lines(text)
    if not first:
        raise PluginOutputError("plugin output has an empty first line")
    perfdata: list[PerfDatum] = []
    for chunk in perf_chunks:
        perfdata.extend(parse_perfdata(chunk))
    match = _HEAD_RE.match(first)
    service, summary = None, first
    if match:
        if match["status"] != status.name:
            raise PluginOutputError(
                f"output says {match['status']} but exit code {exit_code} means {status.name}"
            )
        service, summary = match["service"], match["summary"] or ""
    details = "\n".join(long_lines).strip("\n")
    return PluginOutput(status, summary.strip(), details, tuple(perfdata), service)
