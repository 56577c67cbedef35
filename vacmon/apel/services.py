"""Accept uploaded APEL job records, and build the summary and sync records to forward.

`accept_message` parses with the core's loader rules, keeps every good record (a bad one
never costs its neighbours) and stores them in one multi-row upsert on APEL's own job key
(site, local job id, end time): as with the loader's REPLACE, the later record of a key
wins, and a changed record goes out again so that APEL ends up holding the same version.
`summarise_pending` rebuilds the summary and sync records of every site-month whose job
records changed, replacing versions that were not yet cut into a batch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import cast

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apel.builder import assemble, serialise_record
from apel.fields import JOB, SUMMARY, SYNC, RecordKind
from apel.parse import RECORD_SEPARATOR, parse_message, read_message
from apel.records import ParseResult, Record, RecordError
from apel.summaries import summarise_jobs, sync_records
from apel.uniform import UniformJobs
from vacmon.apel import jobs, queue, relay
from vacmon.apel.queue import queue_lock
from vacmon.apel.uploads import SitePolicy, UploadReport
from vacmon.models import ApelMonth, ApelRecord
from vacmon.models.apel import (
    JOB_KINDS,
    KIND_JOB,
    KIND_JOB_V04,
    KIND_SUMMARY,
    KIND_SYNC,
)
from vacmon.trust.principals import IngestIdentity

log = logging.getLogger(__name__)

_JOB_KIND_NAMES = {RecordKind.JOB: KIND_JOB, RecordKind.JOB_V04: KIND_JOB_V04}
_PARSE_CHUNK = 1000


def accept_message(
    text: str, identity: IngestIdentity | None = None, now: datetime | None = None
) -> UploadReport:
    """Parse, authorise per record, deduplicate and store one uploaded APEL message."""
    now = now or timezone.now()
    read = read_message(text, now)
    if isinstance(read, UniformJobs):
        report = _accept_uniform(read, identity, now)
        if report is not None:
            return report
        read = read.result()
    result = read
    report = UploadReport(rejected=len(result.errors), errors=list(result.errors))
    if result.message_error is not None:
        report.message_error = result.message_error
        return report
    if result.kind in relay.RELAYED:
        _relay(result, text, identity, now, report)
        return report
    if result.kind not in _JOB_KIND_NAMES:
        report.message_error = (
            "Only job, summary and sync messages are accepted here"
            f" ({JOB.header}, {SUMMARY.header}, {SYNC.header}, ...), not {result.header}"
        )
        report.rejected += len(result.records)
        return report
    authorised = _authorised(result.records, text, identity, report)
    refused = (len(report.errors), report.rejected)

    def stored() -> tuple[int, int]:
        # A retry starts again from the records authorised, refusing none twice.
        del report.errors[refused[0] :]
        report.rejected = refused[1]
        # Under the queue's lock, as relayed uploads check for job records under it: of a
        # job upload and a summary upload for the same new month, exactly one gets in.
        records = _not_relayed(authorised, text, report)
        unique = _last_of_each_key(records)
        rows = jobs.record_rows(unique, _JOB_KIND_NAMES[result.kind], now, identity)
        return jobs.store(rows, now), len(records)

    report.accepted, kept = queue.upload(stored)
    # Repeats within the upload, and jobs already held exactly as sent.
    report.duplicates = kept - report.accepted
    report.errors.sort(key=lambda error: error.index)
    return report


def _accept_uniform(
    uniform: UniformJobs, identity: IngestIdentity | None, now: datetime
) -> UploadReport | None:
    """Store a uniform job message straight from its columns, or return None when any
    record would be refused or collapsed (the caller then takes it record by record)."""
    sites = cast(Sequence[str], uniform.columns["Site"])
    distinct = set(sites)
    if identity is not None and not all(map(identity.may_send_for, distinct)):
        return None
    keys = set(zip(sites, uniform.columns["LocalJobId"], uniform.columns["EndTime"], strict=True))
    if len(keys) != len(uniform):
        return None  # the same job twice in one message: the last of each wins
    rows = jobs.uniform_rows(uniform, _JOB_KIND_NAMES[uniform.kind], now, identity)

    def stored() -> int | None:
        relayed = relay.months_relayed(distinct)  # under the lock, as in accept_message
        if relayed and not relayed.isdisjoint(jobs.months_of(rows)):
            return None
        return jobs.store(rows, now)

    inserted = queue.upload(stored)
    if inserted is None:
        return None
    return UploadReport(accepted=inserted, duplicates=len(uniform) - inserted)


def _relay(
    result: ParseResult,
    text: str,
    identity: IngestIdentity | None,
    now: datetime,
    report: UploadReport,
) -> None:
    """Summary and sync uploads: authorised and stored as they came (vacmon.apel.relay)."""
    allowed = _authorised(result.records, text, identity, report)
    refused = {error.index for error in result.errors}
    places = [p for p in enumerate(record_start_lines(text)) if p[0] not in refused]
    where = {id(record): place for record, place in zip(result.records, places, strict=True)}
    policies = jobs.site_policies(str(r.fields["Site"]) for r in allowed)
    with transaction.atomic():
        queue_lock()
        places = [where[id(r)] for r in allowed]
        relay.store_relayed(allowed, places, policies, now, jobs.source_of(identity), report)
    report.errors.sort(key=lambda error: error.index)


def _authorised(
    records: list[Record], text: str, identity: IngestIdentity | None, report: UploadReport
) -> list[Record]:
    """Refuse, record by record, the records of sites this caller may not send for."""
    if identity is None or identity.sites is None:
        return records

    def refusal(record: Record) -> str | None:
        site = str(record.fields["Site"])
        return None if identity.may_send_for(site) else f"Not allowed to send for site {site}"

    return _refuse(records, text, report, refusal)


def _not_relayed(records: list[Record], text: str, report: UploadReport) -> list[Record]:
    """Refuse the job records of a site-month whose summaries the site's own APEL client
    sends (`vacmon.apel.relay`): APEL would count those jobs twice."""
    relayed = relay.months_relayed({str(r.fields["Site"]) for r in records})
    if not relayed:
        return records

    def refusal(record: Record) -> str | None:
        year, month = time.gmtime(cast(int, record.fields["EndTime"]))[:2]
        return relay.job_refusal((str(record.fields["Site"]), year, month), relayed)

    return _refuse(records, text, report, refusal)


def _refuse(
    records: list[Record],
    text: str,
    report: UploadReport,
    refusal: Callable[[Record], str | None],
) -> list[Record]:
    """`records` without those `refusal` gives a reason for, each reported as an error at
    its place in the message. `records` are the parsed records, in order, less those
    refused before; every refusal so far (parsing's first) is in `report.errors`."""
    reasons = [refusal(record) for record in records]
    if not any(reasons):
        return records
    # Only now work out where each record sits in the message.
    refused_indexes = {error.index for error in report.errors}
    places = [p for p in enumerate(record_start_lines(text)) if p[0] not in refused_indexes]
    allowed = []
    for record, reason, (index, line) in zip(records, reasons, places, strict=True):
        if reason is None:
            allowed.append(record)
            continue
        log.warning("APEL upload: %s record %d refused: %s", record.header, index, reason)
        report.errors.append(RecordError(index, line, reason))
        report.rejected += 1
    return allowed


def record_start_lines(text: str) -> list[int]:
    """The first line of each non-blank record, counted as apel.parse counts them."""
    _, _, rest = text.strip().partition("\n")
    line = 2 if rest else 1
    starts = []
    for chunk in rest.split(RECORD_SEPARATOR):
        start = line + chunk[: len(chunk) - len(chunk.lstrip())].count("\n")
        line += chunk.count("\n")
        if chunk and not chunk.isspace():
            starts.append(start)
    return starts


def _last_of_each_key(records: list[Record]) -> list[Record]:
    """The loader REPLACEs record by record, so within one message the last one wins."""
    last = {record.natural_key: record for record in records}
    return list(last.values()) if len(last) < len(records) else records


# --- Summaries and sync records ------------------------------------------------------------


def month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def stored_jobs(site: str, year: int, month: int, now: datetime) -> Iterator[Record]:
    """The site-month's job records, parsed again from their stored text in chunks."""
    rows = (
        ApelRecord.objects.filter(site=site, year=year, month=month, kind__in=JOB_KINDS)
        .order_by("header", "id")
        .values_list("header", "text")
    )
    chunk: list[str] = []
    header = ""
    for row_header, text in rows.iterator(chunk_size=_PARSE_CHUNK):
        if chunk and (row_header != header or len(chunk) >= _PARSE_CHUNK):
            yield from parse_message(assemble(header, chunk), now).records
            chunk = []
        header = row_header
        chunk.append(text)
    if chunk:
        yield from parse_message(assemble(header, chunk), now).records


def summarise_month(site: str, year: int, month: int, policy: SitePolicy, now: datetime) -> int:
    """Replace the site-month's unsent summary and sync records; return how many now wait."""
    built = sync_records(stored_jobs(site, year, month, now))
    if policy.forwards_summaries:
        built = summarise_jobs(stored_jobs(site, year, month, now)) + built
    rows = [_summary_row(record, site, year, month, now) for record in built]
    with transaction.atomic():
        queue_lock()  # what waits is decided against the cuts: none may happen meanwhile
        ApelRecord.objects.waiting().filter(
            site=site, year=year, month=month, kind__in=(KIND_SUMMARY, KIND_SYNC)
        ).delete()
        ApelRecord.objects.bulk_create(rows)
    return len(rows)


def _summary_row(record: Record, site: str, year: int, month: int, now: datetime) -> ApelRecord:
    is_sync = record.kind is RecordKind.SYNC
    return ApelRecord(
        kind=KIND_SYNC if is_sync else KIND_SUMMARY,
        header=record.header,
        text=serialise_record(record),
        site=site,
        year=year,
        month=month,
        jobs=record.integer("NumberOfJobs"),
        wall_seconds=record.integer("WallDuration"),
        cpu_seconds=record.integer("CpuDuration"),
        received_at=now,
        forward=True,
    )


def summarise_pending(now: datetime | None = None) -> int:
    """Rebuild every changed site-month that has begun; return how many were rebuilt."""
    now = now or timezone.now()
    changed = ApelMonth.objects.filter(
        Q(summarised_at=None) | Q(summarised_at__lt=F("changed_at"))
    ).order_by("site", "year", "month")
    # A month that has not begun yet (EndTime may be up to two days ahead) would be
    # refused by the loader as "in the future": it waits until it starts.
    months = [m for m in changed if month_start(m.year, m.month) <= now]
    policies = jobs.site_policies(m.site for m in months)
    rebuilt = 0
    for m in months:
        policy = policies[m.site]
        if not policy.enabled:
            continue  # stays pending: enabling the site later still sends this month
        summarise_month(m.site, m.year, m.month, policy, now)
        # Set to when we started: an upload during the rebuild bumps changed_at past it.
        ApelMonth.objects.filter(pk=m.pk).update(summarised_at=now)
        rebuilt += 1
    return rebuilt
