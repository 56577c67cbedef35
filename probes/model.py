"""Probe definitions, results, the canonical record (spec 2.3, 2.7) and its renderings (2.5)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from probes.nagios import (
    PerfDatum,
    Status,
    Thresholds,
    parse_perfdata,
    render_perfdata,
)

NAMESPACE = "uk.ac.gridpp.vacmon"

# `<reverse-DNS namespace>.<Service/Area>-<Test>[-<VOMS FQAN>]`, e.g.
# `uk.ac.gridpp.vacmon.Machinetype-Outcome-/lhcb/Role=NULL` or `org.bdii.Freshness`.
_METRIC_RE = re.compile(
    r"^(?P<namespace>[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+)"
    r"\.(?P<test>[A-Za-z][A-Za-z0-9_+]*(?:-[A-Za-z0-9_+]+)*)"
    r"(?:-(?P<fqan>/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.=-]+)*))?$"
)


class ProbeError(ValueError):
    """A probe definition or its inputs are invalid."""


@dataclass(frozen=True)
class MetricName:
    """A metric name split into its ETF parts."""

    namespace: str
    test: str
    fqan: str | None = None

    @classmethod
    def parse(cls, text: str) -> MetricName:
        match = _METRIC_RE.match(text)
        if not match:
            raise ProbeError(f"metric name {text!r} does not follow <namespace>.<Area>-<Test>")
        return cls(match["namespace"], match["test"], match["fqan"])

    @property
    def vo(self) -> str | None:
        """The VO is the first component of the FQAN (`/lhcb/Role=NULL` -> `lhcb`)."""
        return self.fqan.split("/")[1] if self.fqan else None

    def __str__(self) -> str:
        base = f"{self.namespace}.{self.test}"
        return f"{base}-{self.fqan}" if self.fqan else base


def metric_name(test: str, fqan: str | None = None, namespace: str = NAMESPACE) -> str:
    """Build and validate a metric name, e.g. metric_name("Space-Heartbeat")."""
    return str(MetricName.parse(str(MetricName(namespace, test, fqan))))


class TargetKind(StrEnum):
    SITE = "site"
    SPACE = "space"
    FACTORY = "factory"
    ENDPOINT = "endpoint"


@dataclass(frozen=True)
class Target:
    """What a probe looks at. For a space the hostname is the space name (spec 2.6)."""

    kind: TargetKind
    hostname: str
    service_flavour: str
    site: str | None = None

    def __post_init__(self) -> None:
        if not self.hostname or not self.service_flavour:
            raise ProbeError("a target needs a hostname and a service flavour")


@dataclass(frozen=True)
class ProbeDefinition:
    """One metric to run against targets of one kind, every `interval` seconds."""

    metric: str
    target_kind: TargetKind
    interval: float = 300.0
    timeout: float = 60.0
    thresholds: Mapping[str, Thresholds] = field(default_factory=dict)
    # MONIT needs a VO on every result; metrics without an FQAN suffix must name one here.
    vo: str | None = None

    def __post_init__(self) -> None:
        MetricName.parse(self.metric)
        if self.interval <= 0 or self.timeout <= 0:
            raise ProbeError("interval and timeout must be positive")
        if self.timeout > self.interval:
            # A run that may outlast its interval would overlap the next one.
            raise ProbeError("timeout must not exceed the interval")

    @property
    def fqan(self) -> str | None:
        return MetricName.parse(self.metric).fqan

    @property
    def effective_vo(self) -> str | None:
        return self.vo or MetricName.parse(self.metric).vo

    def threshold(self, label: str) -> Thresholds:
        return self.thresholds.get(label, Thresholds())


@dataclass(frozen=True)
class ProbeResult:
    """What one probe run found. Times are UTC epoch seconds."""

    status: Status
    summary: str
    details: str = ""
    perfdata: tuple[PerfDatum, ...] = ()
    started_at: float = 0.0
    finished_at: float = 0.0


def sanitize_details(text: str) -> str:
    """Long output must not contain `|`, which would start perfdata; nap uses U+2758 instead."""
    return text.replace("|", "\u2758")


@dataclass(frozen=True)
class ProbeRecord:
    """The canonical record of spec 2.7, stored once and rendered to each format."""

    timestamp: int
    hostname: str
    service_flavour: str
    metric_name: str
    status: Status
    summary: str
    details: str = ""
    vo: str | None = None
    vo_fqan: str | None = None
    monitoring_host: str | None = None
    site: str | None = None
    perfdata: tuple[PerfDatum, ...] = ()

    def __post_init__(self) -> None:
        MetricName.parse(self.metric_name)
        if "\n" in self.summary:
            raise ProbeError("summary must be a single line")

    @classmethod
    def from_result(
        cls,
        definition: ProbeDefinition,
        target: Target,
        result: ProbeResult,
        monitoring_host: str | None = None,
    ) -> ProbeRecord:
        if target.kind != definition.target_kind:
            raise ProbeError(f"{definition.metric} runs on {definition.target_kind} targets")
        # The result time is when the check finished, as Nagios stamps check results.
        return cls(
            timestamp=int(result.finished_at),
            hostname=target.hostname,
            service_flavour=target.service_flavour,
            metric_name=definition.metric,
            status=result.status,
            summary=result.summary.replace("\n", " "),
            details=sanitize_details(result.details),
            vo=definition.effective_vo,
            vo_fqan=definition.fqan,
            monitoring_host=monitoring_host,
            site=target.site,
            perfdata=result.perfdata,
        )


# Renderings of ProbeRecord (spec 2.5 (a) and (c)).

SAM3_TOPIC = "sam3_raw_metric"


def iso_utc(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_utc(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def _one_line(text: str) -> str:
    # The consumer reads one `key: value` per line; newlines are packed as the two
    # characters `\n`, as nap does for passive results. Backslashes are doubled first so
    # the packing can be undone exactly.
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _unpack(text: str) -> str:
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            out.append("\n" if nxt == "n" else nxt)
        else:
            out.append(char)
    return "".join(out)


def render_metric_output(record: ProbeRecord) -> str:
    """The classic SAM/EGI metricOutput STOMP body, ending with the historical `EOT` line."""
    summary = record.summary
    if record.perfdata:
        summary = f"{summary} | {render_perfdata(record.perfdata)}"
    fields = [
        ("serviceType", record.service_flavour),
        ("timestamp", iso_utc(record.timestamp)),
        ("hostName", record.hostname),
        ("metricName", record.metric_name),
        ("metricStatus", record.status.name),
        ("summaryData", _one_line(summary)),
        ("detailsData", _one_line(record.details)),
        ("nagios_host", record.monitoring_host),
        ("voName", record.vo),
        ("voFqan", record.vo_fqan),
    ]
    lines = [f"{key}: {value}" for key, value in fields if value is not None]
    return "\n".join([*lines, "EOT"]) + "\n"


def parse_metric_output(body: str) -> ProbeRecord:
    """Read a metricOutput body back, splitting each line on the first `: ` as consumers do."""
    values: dict[str, str] = {}
    for line in body.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            values[key] = value
    try:
        summary, _, perf = _unpack(values["summaryData"]).partition(" | ")
        return ProbeRecord(
            timestamp=parse_iso_utc(values["timestamp"]),
            hostname=values["hostName"],
            service_flavour=values["serviceType"],
            metric_name=values["metricName"],
            status=Status[values["metricStatus"]],
            summary=summary,
            details=_unpack(values.get("detailsData", "")),
            vo=values.get("voName"),
            vo_fqan=values.get("voFqan"),
            monitoring_host=values.get("nagios_host"),
            perfdata=parse_perfdata(perf),
        )
    except (KeyError, ValueError) as error:
        raise ProbeError(f"bad metricOutput body: {error}") from error


def sam3_document_id(record: ProbeRecord) -> str:
    """Stable id so a re-sent result overwrites itself instead of duplicating."""
    key = "\0".join(
        [record.hostname, record.service_flavour, record.metric_name, str(record.timestamp)]
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def render_sam3(record: ProbeRecord, kafka_timestamp_ms: int | None = None) -> dict[str, Any]:
    """The MONIT sam3 document `{"metadata": ..., "data": ...}` with timestamps in ms."""
    data: dict[str, Any] = {
        "timestamp": record.timestamp * 1000,
        "dst_hostname": record.hostname,
        "service_flavour": record.service_flavour,
        "metric_name": record.metric_name,
        "status": record.status.name,
        "vo": record.vo,
        "summary": record.summary,
        "details": record.details,
    }
    if record.site is not None:
        data["dst_experiment_site"] = record.site
    metadata: dict[str, Any] = {
        "topic": SAM3_TOPIC,
        "kafka_timestamp": record.timestamp * 1000
        if kafka_timestamp_ms is None
        else kafka_timestamp_ms,
        "_id": sam3_document_id(record),
    }
    if record.monitoring_host is not None:
        metadata["monitoring_host"] = record.monitoring_host
    return {"metadata": metadata, "data": data}


def render_sam3_json(record: ProbeRecord, kafka_timestamp_ms: int | None = None) -> str:
    """One JSON document per line, as in the MONIT HDFS archive."""
    return json.dumps(render_sam3(record, kafka_timestamp_ms), sort_keys=True)
