"""Monthly summary and sync records built from job records, as APEL's summariser does.

Months are those of EndTime in UTC (spec 1.6). Missing Processors/NodeCount group as 0,
which is what the server's database stores for NULL.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apel.fields import NORMALISED_SUMMARY, SUMMARY, SYNC, RecordKind
from apel.records import Record
from apel.values import CANONICAL_BENCHMARK, Value

# APEL normalises to HS06: SpecInt2000 values are divided by 250. HEPscore23 was
# calibrated to equal HS06 on the reference machine, so it counts one to one.
HS06_PER_UNIT = {"hepspec": 1.0, "hepscore23": 1.0, "si2k": 1.0 / 250.0}

_GROUP_FIELDS = (
    "Site",
    "Month",
    "Year",
    "GlobalUserName",
    "VO",
    "VOGroup",
    "VORole",
    "SubmitHost",
    "InfrastructureType",
)


@dataclass
class _Totals:
    earliest: int
    latest: int
    wall: int = 0
    cpu: int = 0
    normalised_wall: float = 0.0
    normalised_cpu: float = 0.0
    jobs: int = 0
    extra: dict[str, Value] = field(default_factory=dict)

    def add(self, job: Record, hs06: float) -> None:
        end = job.integer("EndTime")
        self.earliest, self.latest = min(self.earliest, end), max(self.latest, end)
        wall, cpu = job.integer("WallDuration"), job.integer("CpuDuration")
        self.wall += wall
        self.cpu += cpu
        self.normalised_wall += wall * hs06
        self.normalised_cpu += cpu * hs06
        self.jobs += 1


def _month_of(epoch: int) -> tuple[int, int]:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.month, moment.year


def _job_benchmark(job: Record) -> tuple[str, float]:
    if job.kind not in (RecordKind.JOB, RecordKind.JOB_V04) or job.benchmark is None:
        raise ValueError(f"Not an accepted job record: {job.natural_key}")
    return job.benchmark


def _group_values(job: Record) -> dict[str, Value | None]:
    month, year = _month_of(job.integer("EndTime"))
    vo, group, role = job.vo_triplet
    return {
        "Site": job.text("Site"),
        "Month": month,
        "Year": year,
        "GlobalUserName": job.text("GlobalUserName"),
        "VO": vo,
        "VOGroup": group,
        "VORole": role,
        "SubmitHost": job.text("SubmitHost"),
        "InfrastructureType": job.text("InfrastructureType"),
    }


def _round_half_up(value: float) -> int:
    # MySQL's ROUND() on the server rounds halves away from zero, not to even.
    return math.floor(value + 0.5)


def _accumulate(jobs: Iterable[Record], with_benchmark: bool) -> dict[tuple[object, ...], _Totals]:
    groups: dict[tuple[object, ...], _Totals] = {}
    for job in jobs:
        unit, level = _job_benchmark(job)
        values = _group_values(job)
        if with_benchmark:
            values["ServiceLevelType"] = CANONICAL_BENCHMARK[unit]
            values["ServiceLevel"] = level
        values["NodeCount"] = job.integer("NodeCount")
        values["Processors"] = job.integer("Processors")
        key = tuple(values.values())
        end = job.integer("EndTime")
        totals = groups.get(key)
        if totals is None:
            kept = {name: value for name, value in values.items() if value is not None}
            totals = groups[key] = _Totals(earliest=end, latest=end, extra=kept)
        totals.add(job, level * HS06_PER_UNIT[unit])
    return groups


def summarise_jobs(jobs: Iterable[Record]) -> list[Record]:
    """`APEL-summary-job-message: v0.2` records, one per month and accounting group."""
    summaries: list[Record] = []
    for totals in _accumulate(jobs, with_benchmark=True).values():
        fields: dict[str, Value] = dict(totals.extra)
        fields.update(
            EarliestEndTime=totals.earliest,
            LatestEndTime=totals.latest,
            WallDuration=totals.wall,
            CpuDuration=totals.cpu,
            NumberOfJobs=totals.jobs,
        )
        ordered = {name: fields[name] for name in SUMMARY.fields if name in fields}
        summaries.append(Record(RecordKind.SUMMARY, ordered))
    return summaries


def normalised_summaries(jobs: Iterable[Record]) -> list[Record]:
    """`APEL-summary-job-message: v0.3` records: durations x HS06 per core, all benchmarks."""
    summaries: list[Record] = []
    for totals in _accumulate(jobs, with_benchmark=False).values():
        fields: dict[str, Value] = dict(totals.extra)
        infrastructure = fields.pop("InfrastructureType", None)
        if infrastructure is not None:
            fields["Infrastructure"] = infrastructure
        fields.update(
            EarliestEndTime=totals.earliest,
            LatestEndTime=totals.latest,
            WallDuration=totals.wall,
            CpuDuration=totals.cpu,
            NormalisedWallDuration=_round_half_up(totals.normalised_wall),
            NormalisedCpuDuration=_round_half_up(totals.normalised_cpu),
            NumberOfJobs=totals.jobs,
        )
        ordered = {name: fields[name] for name in NORMALISED_SUMMARY.fields if name in fields}
        summaries.append(Record(RecordKind.NORMALISED_SUMMARY, ordered))
    return summaries


def sync_records(jobs: Iterable[Record]) -> list[Record]:
    """`APEL-sync-message: v0.1` job counts per site, submit host and month."""
    counts: dict[tuple[str, str | None, int, int], int] = {}
    for job in jobs:
        _job_benchmark(job)
        month, year = _month_of(job.integer("EndTime"))
        key = (str(job.fields["Site"]), job.text("SubmitHost"), month, year)
        counts[key] = counts.get(key, 0) + 1
    records: list[Record] = []
    for (site, host, month, year), count in counts.items():
        values: dict[str, Value | None] = {
            "Site": site,
            "SubmitHost": host,
            "NumberOfJobs": count,
            "Month": month,
            "Year": year,
        }
        fields = {n: v for n in SYNC.fields if (v := values[n]) is not None}
        records.append(Record(RecordKind.SYNC, fields))
    return records
