from __future__ import annotations

from apel.builder import build_messages
from apel.parse import parse_message
from apel.records import Record
from apel.summaries import normalised_summaries, summarise_jobs, sync_records
from tests.apel.helpers import NOW, job_fields, message

OCT_10 = 1791590400  # 2026-10-10 00:00:00 UTC
NOV_10 = 1794268800  # 2026-11-10 00:00:00 UTC


def jobs(*changes: dict[str, str]) -> list[Record]:
    records = [job_fields(LocalJobId=f"j{i}", **c) for i, c in enumerate(changes)]
    result = parse_message(message(*records), NOW)
    assert result.ok, result.errors
    return result.records


def at(end: int, wall: int, cpu: int, **extra: str) -> dict[str, str]:
    return {
        "StartTime": str(end - wall),
        "EndTime": str(end),
        "WallDuration": str(wall),
        "CpuDuration": str(cpu),
        **extra,
    }


def test_it_sums_jobs_of_the_same_group_and_month() -> None:
    records = jobs(at(OCT_10, 100, 90), at(OCT_10 + 3600, 200, 150), at(NOV_10, 50, 40))
    summaries = {s.fields["Month"]: s.fields for s in summarise_jobs(records)}
    october = summaries[10]
    assert (october["WallDuration"], october["CpuDuration"], october["NumberOfJobs"]) == (
        300,
        240,
        2,
    )
    assert october["EarliestEndTime"] == OCT_10
    assert october["LatestEndTime"] == OCT_10 + 3600
    assert (october["VO"], october["VOGroup"], october["VORole"]) == (
        "atlas",
        "/atlas",
        "Role=production",
    )
    assert summaries[11]["NumberOfJobs"] == 1


def test_it_separates_groups_by_benchmark_processors_and_vo() -> None:
    records = jobs(
        at(OCT_10, 100, 90),
        at(OCT_10, 100, 90, ServiceLevel="10.0"),
        at(OCT_10, 100, 90, Processors="8"),
        at(OCT_10, 100, 90, FQAN="/lhcb/Role=pilot"),
        at(OCT_10, 100, 90),
    )
    counts = sorted(s.fields["NumberOfJobs"] for s in summarise_jobs(records))  # type: ignore[type-var]
    assert counts == [1, 1, 1, 2]


def test_summaries_pass_the_loader_checks() -> None:
    records = jobs(at(OCT_10, 100, 90), at(NOV_10, 100, 90, Processors=None))
    messages = build_messages(summarise_jobs(records) + normalised_summaries(records))
    for built in messages:
        result = parse_message(built.body, NOW)
        assert result.ok, result.errors


def test_normalised_summaries_weight_durations_by_hs06_per_core() -> None:
    records = jobs(
        at(OCT_10, 1000, 900, ServiceLevel="10.5"),
        at(OCT_10, 100, 80, ServiceLevelType="si2k", ServiceLevel="2500"),
    )
    (summary,) = normalised_summaries(records)
    assert summary.fields["WallDuration"] == 1100
    assert summary.fields["NormalisedWallDuration"] == 1000 * 10.5 + 100 * 10
    assert summary.fields["NormalisedCpuDuration"] == 900 * 10.5 + 80 * 10
    assert summary.fields["Infrastructure"] == "grid"


def test_sync_records_count_jobs_per_site_submit_host_and_month() -> None:
    records = jobs(
        at(OCT_10, 100, 90),
        at(OCT_10, 100, 90),
        at(NOV_10, 100, 90),
        at(NOV_10, 100, 90, SubmitHost="other/vac-x"),
    )
    found = {
        (s.fields.get("SubmitHost"), s.fields["Month"]): s.fields["NumberOfJobs"]
        for s in sync_records(records)
    }
    host = job_fields()["SubmitHost"]
    assert found == {(host, 10): 2, (host, 11): 1, ("other/vac-x", 11): 1}
