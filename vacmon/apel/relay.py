"""Uploaded summary and sync records: checked with the loader's rules, forwarded unchanged.

Sites that already run an APEL client produce `APEL-summary-job-message` and
`APEL-sync-message` uploads. VacMon relays them as they are, with one rule that keeps
APEL's figures honest: they never mix with what VacMon builds itself. A site in
central-summary mode has its summaries and sync records built from the job records
VacMon holds, so an uploaded one is refused. For a site-month whose job records VacMon
holds and forwards, an uploaded summary would count those jobs twice at APEL, and an
uploaded sync record would replace VacMon's (same site, submit host and month): both are
refused too. The other way round, once a site-month holds an uploaded summary or sync
record, job records for that month are refused: whichever comes first decides.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

from django.db import connection

from apel.builder import serialise_record
from apel.checks import month_bounds
from apel.fields import RecordKind
from apel.records import Record, RecordError
from apel.values import InvalidValue
from vacmon.apel.uploads import SitePolicy, UploadReport
from vacmon.models import ApelMonth, ApelRecord
from vacmon.models.apel import KIND_RELAYED_SUMMARY, KIND_RELAYED_SYNC, RELAYED_KINDS

log = logging.getLogger(__name__)

RELAYED: Mapping[RecordKind, str] = {
    RecordKind.SUMMARY: KIND_RELAYED_SUMMARY,
    RecordKind.SUMMARY_V04: KIND_RELAYED_SUMMARY,
    RecordKind.NORMALISED_SUMMARY: KIND_RELAYED_SUMMARY,
    RecordKind.NORMALISED_SUMMARY_V04: KIND_RELAYED_SUMMARY,
    RecordKind.SYNC: KIND_RELAYED_SYNC,
}
SiteMonth = tuple[str, int, int]


def refusal(record: Record, policy: SitePolicy, months_with_jobs: set[SiteMonth]) -> str | None:
    """Why this uploaded summary or sync record must not go out, or None."""
    site = str(record.fields["Site"])
    if policy.forwards_summaries:
        return (
            f"Site {site} is in central-summary mode ({policy.mode}): VacMon builds its"
            " summaries and sync records from its job records and does not mix uploaded"
            " ones into them"
        )
    month = (site, record.integer("Year"), record.integer("Month"))
    try:
        # APEL's loader checks a summary's month (apel.checks) but stores any INT as a
        # sync record's. VacMon keeps relayed records by their month, and no site's
        # client writes such a record, so it is refused, as a summary's would be.
        month_bounds(record.fields)
    except InvalidValue as error:
        return str(error)
    if record.integer("NumberOfJobs") < 0:
        # A summary's is refused by its UNSIGNED column; a sync record's INT column takes
        # it, but a count of jobs below zero is no count, and VacMon's column holds none.
        return "NumberOfJobs is negative: a sync record counts the jobs of its month"
    if month not in months_with_jobs:
        return None
    when = f"{month[1]:04d}-{month[2]:02d}"
    if record.kind is RecordKind.SYNC:
        return (
            f"VacMon sends the sync records of site {site} for {when} from the job records it"
            " holds; an uploaded one would replace them"
        )
    return (
        f"VacMon forwards the job records of site {site} for {when}; an uploaded summary"
        " would count those jobs a second time"
    )


def job_refusal(month: SiteMonth, relayed: set[SiteMonth]) -> str | None:
    """Why a job record of `month` must not go out, or None: the site's own APEL client
    already sends that month's summaries (or sync records), which count the site's jobs."""
    if month not in relayed:
        return None
    site, year, number = month
    return (
        f"Site {site} sends its own summaries for {year:04d}-{number:02d}; a job record for"
        " that month would count its job a second time"
    )


def months_relayed(sites: set[str]) -> set[SiteMonth]:
    """The site-months holding an uploaded summary or sync record."""
    if not sites:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(_relayed_sql(connection.vendor, len(sites)), sorted(sites))
        return {(str(site), int(year), int(month)) for site, year, month in cursor.fetchall()}


def _relayed_sql(vendor: str, sites: int) -> str:
    """Through the partial index apel_relayed_month: a site's few relayed rows, not the
    index of all its records, which SQLite prefers by itself while it has no statistics
    and which holds every job record the site ever sent. The kinds are written out, not
    bound, because SQLite matches a partial index's condition only term for term."""
    table = ApelRecord._meta.db_table
    hint = " INDEXED BY apel_relayed_month" if vendor == "sqlite" else ""
    kinds = ", ".join(f"'{kind}'" for kind in RELAYED_KINDS)
    places = ", ".join(["%s"] * sites)
    return (
        f"SELECT DISTINCT site, year, month FROM {table}{hint}"
        f" WHERE kind IN ({kinds}) AND site IN ({places})"
    )


def months_with_jobs(sites: set[str]) -> set[SiteMonth]:
    rows = ApelMonth.objects.filter(site__in=sites).values_list("site", "year", "month")
    return {(str(site), int(year), int(month)) for site, year, month in rows}


def store_relayed(
    records: Sequence[Record],
    places: Sequence[tuple[int, int]],
    policies: Mapping[str, SitePolicy],
    received: datetime,
    source: str,
    report: UploadReport,
) -> None:
    """Store the records that may go, as they came; refuse the others with the reason.
    A record identical to one already held (same kind, header and text) is a duplicate,
    as an identical job record is: sending it again would change nothing at APEL."""
    sites = {str(r.fields["Site"]) for r in records}
    held = months_with_jobs(sites)
    seen = relayed_texts(sites)
    rows = []
    for record, (index, line) in zip(records, places, strict=True):
        policy = policies[str(record.fields["Site"])]
        reason = refusal(record, policy, held)
        if reason is not None:
            log.warning("APEL upload: %s record %d refused: %s", record.header, index, reason)
            report.errors.append(RecordError(index, line, reason))
            report.rejected += 1
            continue
        row = _row(record, policy.enabled, received, source)
        identity = (row.kind, row.header, row.text)
        if identity in seen:
            report.duplicates += 1
            continue
        seen.add(identity)
        rows.append(row)
    ApelRecord.objects.bulk_create(rows)
    report.accepted += len(rows)


def relayed_texts(sites: set[str]) -> set[tuple[str, str, str]]:
    """What these sites' relayed records already hold; relays are a few a site a month."""
    rows = ApelRecord.objects.filter(kind__in=set(RELAYED.values()), site__in=sites)
    return {(str(k), str(h), str(t)) for k, h, t in rows.values_list("kind", "header", "text")}


def _row(record: Record, forward: bool, received: datetime, source: str) -> ApelRecord:
    return ApelRecord(
        kind=RELAYED[record.kind],
        header=record.header,
        text=serialise_record(record),
        site=str(record.fields["Site"]),
        year=record.integer("Year"),
        month=record.integer("Month"),
        jobs=record.integer("NumberOfJobs"),
        wall_seconds=record.integer("WallDuration"),
        cpu_seconds=record.integer("CpuDuration"),
        received_at=received,
        source=source,
        forward=forward,
    )
