"""Field schemas of every APEL text record type the central loader accepts (spec 1.2-1.10)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class RecordKind(enum.Enum):
    JOB = "job"
    JOB_V04 = "job-v0.4"
    SUMMARY = "summary"
    SUMMARY_V04 = "summary-v0.4"
    NORMALISED_SUMMARY = "normalised-summary"
    NORMALISED_SUMMARY_V04 = "normalised-summary-v0.4"
    SYNC = "sync"
    CLOUD = "cloud"
    CLOUD_SUMMARY = "cloud-summary"


class FieldType(enum.Enum):
    STR = "str"
    INT = "int"
    FLOAT = "float"
    DATETIME = "datetime"
    # v0.4 "{hepspec: 10.5, HEPscore23: 12.3}" benchmark dictionaries (spec 1.5)
    BENCHMARKS = "benchmarks"


@dataclass(frozen=True)
class Schema:
    kind: RecordKind
    header: str  # the header we emit for this kind
    fields: tuple[str, ...]  # message order, as the official client writes them
    mandatory: tuple[str, ...]  # in the order the loader checks them
    types: Mapping[str, FieldType]
    ignored: frozenset[str]  # accepted by the loader but never stored


def _schema(
    kind: RecordKind,
    header: str,
    fields: str,
    mandatory: str,
    ignored: str = "",
    **typed: str,
) -> Schema:
    # Every known field gets an entry so one dict lookup both validates and types a key.
    types: dict[str, FieldType] = dict.fromkeys(fields.split(), FieldType.STR)
    for type_name, names in typed.items():
        for name in names.split():
            types[name] = FieldType[type_name.upper()]
    return Schema(
        kind=kind,
        header=header,
        fields=tuple(fields.split()),
        mandatory=tuple(mandatory.split()),
        types=types,
        ignored=frozenset(ignored.split()),
    )


_JOB_FIELDS = (
    "Site SubmitHost MachineName Queue LocalJobId LocalUserId GlobalUserName FQAN VO VOGroup"
    " VORole WallDuration CpuDuration Processors NodeCount StartTime EndTime"
    " InfrastructureDescription InfrastructureType MemoryReal MemoryVirtual"
)
_JOB_MANDATORY = "Site LocalJobId WallDuration CpuDuration StartTime EndTime"
_JOB_INTS = "WallDuration CpuDuration Processors NodeCount MemoryReal MemoryVirtual"
_SUMMARY_HEAD = "Site Month Year GlobalUserName VO VOGroup VORole SubmitHost"
_SUMMARY_TAIL = "NodeCount Processors EarliestEndTime LatestEndTime WallDuration CpuDuration"
_SUMMARY_INTS = "Month Year NodeCount Processors WallDuration CpuDuration NumberOfJobs"
_SUMMARY_MANDATORY = "Site Month Year WallDuration CpuDuration NumberOfJobs"
_NORM_MANDATORY = (
    "Site Month Year WallDuration CpuDuration NormalisedWallDuration NormalisedCpuDuration"
    " NumberOfJobs"
)
_NORM_FIELDS = (
    f"{_SUMMARY_HEAD} Infrastructure {_SUMMARY_TAIL}"
    " NormalisedWallDuration NormalisedCpuDuration NumberOfJobs"
)
_SUMMARY_FIELDS = (
    f"{_SUMMARY_HEAD} InfrastructureType InfrastructureDescription ServiceLevelType"
    f" ServiceLevel {_SUMMARY_TAIL} NumberOfJobs"
)

JOB = _schema(
    RecordKind.JOB,
    "APEL-individual-job-message: v0.3",
    f"{_JOB_FIELDS} ServiceLevelType ServiceLevel",
    _JOB_MANDATORY,
    ignored="SubmitHostType UpdateTime",
    int=_JOB_INTS,
    float="ServiceLevel",
    datetime="StartTime EndTime",
)
# ServiceLevelType is a stored column, so the loader accepts the key and then rejects
# the record as a "mixture" (spec 1.5); it is never emitted.
JOB_V04 = _schema(
    RecordKind.JOB_V04,
    "APEL-individual-job-message: v0.4",
    f"{_JOB_FIELDS} ServiceLevelType ServiceLevel",
    _JOB_MANDATORY,
    ignored="SubmitHostType UpdateTime",
    int=_JOB_INTS,
    benchmarks="ServiceLevel",
    datetime="StartTime EndTime",
)
SUMMARY = _schema(
    RecordKind.SUMMARY,
    "APEL-summary-job-message: v0.2",
    _SUMMARY_FIELDS,
    _SUMMARY_MANDATORY,
    ignored="UpdateTime",
    int=_SUMMARY_INTS,
    float="ServiceLevel",
    datetime="EarliestEndTime LatestEndTime",
)
SUMMARY_V04 = _schema(
    RecordKind.SUMMARY_V04,
    "APEL-summary-job-message: v0.4",
    _SUMMARY_FIELDS,
    _SUMMARY_MANDATORY,
    ignored="UpdateTime",
    int=_SUMMARY_INTS,
    benchmarks="ServiceLevel",
    datetime="EarliestEndTime LatestEndTime",
)
NORMALISED_SUMMARY = _schema(
    RecordKind.NORMALISED_SUMMARY,
    "APEL-summary-job-message: v0.3",
    _NORM_FIELDS,
    _NORM_MANDATORY,
    ignored="UpdateTime",
    int=f"{_SUMMARY_INTS} NormalisedWallDuration NormalisedCpuDuration",
    datetime="EarliestEndTime LatestEndTime",
)
NORMALISED_SUMMARY_V04 = _schema(
    RecordKind.NORMALISED_SUMMARY_V04,
    "APEL-normalised-summary-message: v0.4",
    _NORM_FIELDS,
    _NORM_MANDATORY,
    ignored="UpdateTime",
    int=_SUMMARY_INTS,
    benchmarks="NormalisedWallDuration NormalisedCpuDuration",
    datetime="EarliestEndTime LatestEndTime",
)
SYNC = _schema(
    RecordKind.SYNC,
    "APEL-sync-message: v0.1",
    "Site SubmitHost NumberOfJobs Month Year",
    "Site NumberOfJobs Month Year",
    int="NumberOfJobs Month Year",
)
CLOUD = _schema(
    RecordKind.CLOUD,
    "APEL-cloud-message: v0.4",
    "RecordCreateTime VMUUID SiteName CloudComputeService MachineName LocalUserId LocalGroupId"
    " GlobalUserName FQAN VO VOGroup VORole Status StartTime EndTime SuspendDuration"
    " WallDuration CpuDuration CpuCount NetworkType NetworkInbound NetworkOutbound"
    " PublicIPCount Memory Disk BenchmarkType Benchmark StorageRecordId ImageId CloudType",
    "VMUUID SiteName",
    ignored="UpdateTime MeasurementTime MeasurementMonth MeasurementYear",
    int="SuspendDuration WallDuration CpuDuration NetworkInbound NetworkOutbound PublicIPCount"
    " Memory Disk",
    float="CpuCount Benchmark",
    datetime="RecordCreateTime StartTime EndTime",
)
CLOUD_SUMMARY = _schema(
    RecordKind.CLOUD_SUMMARY,
    "APEL-cloud-summary-message: v0.4",
    "SiteName CloudComputeService Month Year GlobalUserName VO VOGroup VORole Status CloudType"
    " ImageId EarliestStartTime LatestStartTime WallDuration CpuDuration CpuCount"
    " NetworkInbound NetworkOutbound Memory Disk BenchmarkType Benchmark NumberOfVMs",
    "SiteName Month Year NumberOfVMs",
    ignored="UpdateTime",
    int="Month Year WallDuration CpuDuration NetworkInbound NetworkOutbound Memory Disk"
    " NumberOfVMs",
    float="CpuCount Benchmark",
    datetime="EarliestStartTime LatestStartTime",
)

SCHEMAS: Mapping[RecordKind, Schema] = {
    s.kind: s
    for s in (
        JOB,
        JOB_V04,
        SUMMARY,
        SUMMARY_V04,
        NORMALISED_SUMMARY,
        NORMALISED_SUMMARY_V04,
        SYNC,
        CLOUD,
        CLOUD_SUMMARY,
    )
}

# Summary headers are matched on the exact stripped header line (spec 1.2).
_EXACT_HEADERS: Mapping[str, Schema] = {
    SUMMARY.header: SUMMARY,
    NORMALISED_SUMMARY.header: NORMALISED_SUMMARY,
    SUMMARY_V04.header: SUMMARY_V04,
    NORMALISED_SUMMARY_V04.header: NORMALISED_SUMMARY_V04,
}
# The other types are matched on the part before the first ":" only.
_TYPE_ONLY: Mapping[str, Schema] = {
    "APEL-sync-message": SYNC,
    "APEL-cloud-message": CLOUD,
    "APEL-cloud-summary-message": CLOUD_SUMMARY,
}


class HeaderError(ValueError):
    """The header line is not one the loader dispatches on; the whole message is refused."""


def schema_for_header(line: str) -> Schema:
    """Pick the schema the loader would use for this header line, or raise HeaderError."""
    header = line.strip()
    if ":" not in header:
        raise HeaderError("Message header is incorrect: substring not found")
    if header in _EXACT_HEADERS:
        return _EXACT_HEADERS[header]
    msg_type, version = (part.strip(": ") for part in header.split(":", 1))
    if msg_type == "APEL-individual-job-message":
        return JOB_V04 if version == "v0.4" else JOB
    if msg_type in _TYPE_ONLY:
        return _TYPE_ONLY[msg_type]
    raise HeaderError(f"Message type {header} not recognised.")
