"""Record-level checks the loader runs after reading the lines (spec 1.4-1.10, 1.11).

Each check raises InvalidValue whose text is the loader's message, so a sender can match
our refusals with what the central server would have said.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from apel.fields import RecordKind
from apel.values import Benchmarks, InvalidValue, Value, format_epoch, is_finite

Fields = Mapping[str, Value]
Check = Callable[[Fields, int], None]

VALID_SERVICE_LEVEL_TYPES = frozenset({"si2k", "hepspec", "hepscore23"})
# The loader tolerates EndTime up to two days ahead "to prevent timezone problems".
FUTURE_TOLERANCE = 2 * 86400
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# ServiceLevel is DECIMAL(10,3): seven digits before the point.
DECIMAL_10_3_LIMIT = 10.0**7

# The loader calls stored procedures (schemas/server.sql). MariaDB first converts each
# argument into its parameter, in the procedure's order; a value a parameter cannot hold
# is refused under the parameter's own name "at row 0": a number out of an INT or BIGINT
# parameter's range (1264), a text longer than its VARCHAR (1406). A value the parameter
# holds but the table's UNSIGNED column cannot (a negative one) is refused under the
# column's name "at row 1", the one row of the REPLACE. Each list is (record field,
# parameter name, VARCHAR length or the range of an INT or BIGINT), in the procedure's
# order; a field the record lacks is passed as NULL.
INT = (INT_MIN, INT_MAX)
BIGINT = (-(2**63), 2**63 - 1)
Parameters = tuple[tuple[str, str, int | tuple[int, int]], ...]
_JOB_PARAMETERS: Parameters = (
    ("Site", "site", 255),
    ("SubmitHost", "submitHost", 255),
    ("MachineName", "machineName", 255),
    ("Queue", "queue", 100),
    ("LocalJobId", "localJobId", 255),
    ("LocalUserId", "localUserId", 255),
    ("GlobalUserName", "globalUserName", 255),
    ("FQAN", "fullyQualifiedAttributeName", 255),
    ("VO", "vo", 255),
    ("VOGroup", "voGroup", 255),
    ("VORole", "voRole", 255),
    ("WallDuration", "wallDuration", INT),
    ("CpuDuration", "cpuDuration", INT),
    ("Processors", "processors", INT),
    ("NodeCount", "nodeCount", INT),
    ("InfrastructureDescription", "infrastructureDescription", 100),
    ("InfrastructureType", "infrastructureType", 20),
    ("MemoryReal", "memoryReal", INT),
    ("MemoryVirtual", "memoryVirtual", INT),
    ("ServiceLevelType", "serviceLevelType", 50),
)
# The job procedure's INT parameters, whose JobRecords columns are UNSIGNED too, and its
# text parameters, by field: what apel.uniform checks in bulk.
JOB_INT_FIELDS = tuple(name for name, _, limit in _JOB_PARAMETERS if limit == INT)
JOB_TEXT_LIMITS = {name: limit for name, _, limit in _JOB_PARAMETERS if isinstance(limit, int)}
_SUMMARY_HEAD_PARAMETERS: Parameters = (
    ("Site", "site", 255),
    ("GlobalUserName", "globalUserName", 255),
    ("VO", "vo", 255),
    ("VOGroup", "voGroup", 255),
    ("VORole", "voRole", 255),
    ("SubmitHost", "submitHost", 255),
)
# Then ReplaceSummary's serviceLevel (DECIMAL), which ReplaceNormalisedSummary lacks.
_SUMMARY_PARAMETERS: Parameters = (
    *_SUMMARY_HEAD_PARAMETERS,
    ("InfrastructureType", "infrastructureType", 50),
    ("InfrastructureDescription", "infrastructureDescription", 100),
    ("ServiceLevelType", "serviceLevelType", 50),
)
_NORMALISED_PARAMETERS: Parameters = (
    *_SUMMARY_HEAD_PARAMETERS,
    ("Infrastructure", "infrastructure", 50),
    ("InfrastructureDescription", "infrastructureDescription", 100),
    ("ServiceLevelType", "serviceLevelType", 50),
)
# Then both procedures' counts and durations, after their end times.
_SUMMARY_COUNT_PARAMETERS: Parameters = (
    ("NodeCount", "nodeCount", INT),
    ("Processors", "processors", INT),
    ("WallDuration", "wallDuration", BIGINT),
    ("CpuDuration", "cpuDuration", BIGINT),
)
_SUMMARY_TAIL_PARAMETERS: Parameters = (("NumberOfJobs", "numberOfJobs", INT),)
_NORMALISED_TAIL_PARAMETERS: Parameters = (
    ("NormalisedWallDuration", "normalisedWallDuration", BIGINT),
    ("NormalisedCpuDuration", "normalisedCpuDuration", BIGINT),
    ("NumberOfJobs", "numberOfJobs", INT),
)
_SYNC_PARAMETERS: Parameters = (
    ("Site", "site", 255),
    ("SubmitHost", "submitHost", 255),
    ("NumberOfJobs", "njobs", INT),
    ("Month", "month", INT),
    ("Year", "year", INT),
)
# The NOT NULL columns a missing field leaves NULL, in the REPLACE's column order. The
# loader fills a missing text field with the string "None", so ServiceLevelType is never
# NULL: a summary lacking both benchmark fields is refused for ServiceLevel alone.
_SUMMARY_NOT_NULL = ("ServiceLevel", "NodeCount", "Processors")
_NORMALISED_NOT_NULL = ("NodeCount", "Processors")


def _out_of_range(name: str, row: int) -> InvalidValue:
    return InvalidValue(f"(1264, \"Out of range value for column '{name}' at row {row}\")")


def _cannot_be_null(name: str) -> InvalidValue:
    return InvalidValue(f"(1048, \"Column '{name}' cannot be null\")")


def _check_times(fields: Fields, now: int) -> None:
    start, end = fields["StartTime"], fields["EndTime"]
    assert isinstance(start, int) and isinstance(end, int)
    if end < start:
        raise InvalidValue("EndTime is before StartTime.")
    if end > now + FUTURE_TOLERANCE:
        raise InvalidValue(f"Epoch time {format_epoch(end)} is in the future.")


def _too_long(name: str) -> InvalidValue:
    return InvalidValue(f"(1406, \"Data too long for column '{name}' at row 0\")")


def _check_parameters(fields: Fields, parameters: Parameters) -> None:
    for name, parameter, limit in parameters:
        value = fields.get(name)
        if isinstance(limit, tuple):
            if isinstance(value, int) and not limit[0] <= value <= limit[1]:
                raise _out_of_range(parameter, 0)
        # Records are ASCII (apel.parse): characters are bytes.
        elif isinstance(value, str) and len(value) > limit:
            raise _too_long(parameter)


def _check_service_level(fields: Fields) -> None:
    level = fields.get("ServiceLevel")
    if isinstance(level, Benchmarks):
        level = level.chosen[1]
    if isinstance(level, float) and not (is_finite(level) and abs(level) < DECIMAL_10_3_LIMIT):
        raise _out_of_range("serviceLevel", 0)


def _check_unsigned(fields: Fields, columns: tuple[str, ...]) -> None:
    for name in columns:
        value = fields.get(name)
        if isinstance(value, int) and value < 0:
            raise _out_of_range(name, 1)


def _check_job_limits(fields: Fields) -> None:
    """What a strict-mode MariaDB refuses (spec 1.11); the loader itself lets them pass."""
    _check_parameters(fields, _JOB_PARAMETERS)
    _check_service_level(fields)
    _check_unsigned(fields, JOB_INT_FIELDS)


def check_job(fields: Fields, now: int) -> None:
    unit, level = fields.get("ServiceLevelType"), fields.get("ServiceLevel")
    if unit is None and level is None:
        # The first pass silently substitutes unit "custom"; the DB pass then refuses it,
        # so time errors would be reported first (spec 1.4).
        _check_times(fields, now)
        raise InvalidValue("ScalingFactorUnit custom not valid.")
    if unit is None or level is None:
        raise InvalidValue("Unit but not value supplied for ScalingFactor.")
    if str(unit).lower() not in VALID_SERVICE_LEVEL_TYPES:
        raise InvalidValue(f"ScalingFactorUnit {unit} not valid.")
    _check_times(fields, now)
    _check_job_limits(fields)


def check_job_v04(fields: Fields, now: int) -> None:
    if "ServiceLevelType" in fields:
        raise InvalidValue("Mixture of benchmark types detected")
    if "ServiceLevel" not in fields:
        _check_times(fields, now)
        raise InvalidValue("ScalingFactorUnit custom not valid.")
    _check_times(fields, now)
    _check_job_limits(fields)


def month_bounds(fields: Fields) -> tuple[int, int]:
    """The epochs a record's Month and Year begin and end, or the loader's refusal."""
    month, year = fields["Month"], fields["Year"]
    assert isinstance(month, int) and isinstance(year, int)
    try:
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidValue("Invalid values for month and/or year.") from None
    return int(start.timestamp()), int(end.timestamp())


def _check_month(fields: Fields, now: int, first: str, last: str) -> None:
    start, end = month_bounds(fields)
    earliest, latest = fields.get(first), fields.get(last)
    # Only checked when both are given; the upper bound is inclusive in the loader.
    if isinstance(earliest, int) and isinstance(latest, int):
        if not start <= earliest <= end:
            raise InvalidValue(f"{first} is not within stated month.")
        if not start <= latest <= end:
            raise InvalidValue(f"{last} is not within stated month.")
        if earliest > latest:
            raise InvalidValue(f"{last} is earlier than {first}.")
    if start > now:
        raise InvalidValue("Month specified in record is in the future.")


def _check_not_negative(fields: Fields, names: tuple[str, ...]) -> None:
    for name in names:
        value = fields[name]
        if isinstance(value, int) and value < 0:
            # The loader reports a negative CpuDuration as "Negative WallDuration" too.
            label = "WallDuration" if name in ("WallDuration", "CpuDuration") else name
            raise InvalidValue(f"Negative {label}")


def _check_summary_columns(
    fields: Fields, parameters: Parameters, tail: Parameters, not_null: tuple[str, ...]
) -> None:
    """The summary procedure's arguments, then its REPLACE's NOT NULL and UNSIGNED columns."""
    _check_parameters(fields, parameters)
    _check_service_level(fields)
    _check_parameters(fields, _SUMMARY_COUNT_PARAMETERS + tail)
    for name in not_null:
        if name not in fields:
            raise _cannot_be_null(name)
    _check_unsigned(fields, ("NumberOfJobs",))


def check_summary(fields: Fields, now: int) -> None:
    _check_month(fields, now, "EarliestEndTime", "LatestEndTime")
    _check_not_negative(fields, ("WallDuration", "CpuDuration"))
    _check_summary_columns(fields, _SUMMARY_PARAMETERS, _SUMMARY_TAIL_PARAMETERS, _SUMMARY_NOT_NULL)


def check_summary_v04(fields: Fields, now: int) -> None:
    if "ServiceLevelType" in fields:
        raise InvalidValue("Mixture of benchmark types detected")
    _check_month(fields, now, "EarliestEndTime", "LatestEndTime")
    _check_not_negative(fields, ("WallDuration", "CpuDuration"))
    _check_summary_columns(fields, _SUMMARY_PARAMETERS, _SUMMARY_TAIL_PARAMETERS, _SUMMARY_NOT_NULL)


def check_normalised_summary(fields: Fields, now: int) -> None:
    _check_month(fields, now, "EarliestEndTime", "LatestEndTime")
    _check_not_negative(
        fields,
        ("WallDuration", "CpuDuration", "NormalisedWallDuration", "NormalisedCpuDuration"),
    )
    _check_summary_columns(
        fields, _NORMALISED_PARAMETERS, _NORMALISED_TAIL_PARAMETERS, _NORMALISED_NOT_NULL
    )


def check_normalised_summary_v04(fields: Fields, now: int) -> None:
    _check_month(fields, now, "EarliestEndTime", "LatestEndTime")
    _check_not_negative(fields, ("WallDuration", "CpuDuration"))
    wall, cpu = fields["NormalisedWallDuration"], fields["NormalisedCpuDuration"]
    assert isinstance(wall, Benchmarks) and isinstance(cpu, Benchmarks)
    if wall.chosen[0] != cpu.chosen[0]:
        raise InvalidValue(
            "Benchmark types of NormalisedWallDuration and NormalisedCpuDuration differ"
        )
    _check_summary_columns(
        fields, _NORMALISED_PARAMETERS, _NORMALISED_TAIL_PARAMETERS, _NORMALISED_NOT_NULL
    )


def check_sync(fields: Fields, now: int) -> None:
    """The loader checks nothing more; ReplaceSyncRecord's parameters do."""
    _check_parameters(fields, _SYNC_PARAMETERS)


def check_nothing(fields: Fields, now: int) -> None:
    """Cloud records have no checks beyond types and mandatory fields."""


CHECKS: Mapping[RecordKind, Check] = {
    RecordKind.JOB: check_job,
    RecordKind.JOB_V04: check_job_v04,
    RecordKind.SUMMARY: check_summary,
    RecordKind.SUMMARY_V04: check_summary_v04,
    RecordKind.NORMALISED_SUMMARY: check_normalised_summary,
    RecordKind.NORMALISED_SUMMARY_V04: check_normalised_summary_v04,
    RecordKind.SYNC: check_sync,
    RecordKind.CLOUD: check_nothing,
    RecordKind.CLOUD_SUMMARY: check_nothing,
}
