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
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import repeat
from typing import Any, cast

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from apel.builder import assemble, serialise_record
from apel.fields import JOB, SCHEMAS, SUMMARY, SYNC, RecordKind
from apel.parse import RECORD_SEPARATOR, parse_message, read_message
from apel.records import ParseResult, Record, RecordError
from apel.summaries import HS06_PER_UNIT, summarise_jobs, sync_records
from apel.uniform import UniformJobs
from vacmon.apel import relay
from vacmon.apel.queue import queue_lock
from vacmon.apel.uploads import SitePolicy, UploadReport
from vacmon.models import ApelMonth, ApelRecord, ApelSiteSettings
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
_COLUMNS = (
    "kind",
    "header",
    "text",
    "site",
    "submit_host",
    "local_job_id",
    "end_time",
    "year",
    "month",
    "jobs",
    "wall_seconds",
    "cpu_seconds",
    "hs06_seconds",
    "received_at",
    "source",
    "forward",
)
_INSERT_CHUNK = 5000
_PARSE_CHUNK = 1000


def site_policies(sites: Iterable[str]) -> dict[str, SitePolicy]:
    """Each site's forwarding choice; a site without settings forwards its job records."""
    wanted = set(sites)
    rows = ApelSiteSettings.objects.filter(site__in=wanted).values_list("site", "mode", "enabled")
    found = {site: SitePolicy(mode, enabled) for site, mode, enabled in rows}
    return {site: found.get(site, SitePolicy()) for site in wanted}


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
    records = _authorised(result.records, text, identity, report)
    with transaction.atomic():
        # Under the queue's lock, as relayed uploads check for job records under it: of a
        # job upload and a summary upload for the same new month, exactly one gets in.
        queue_lock()
        records = _not_relayed(records, text, report)
        unique = _last_of_each_key(records)
        report.duplicates = len(records) - len(unique)
        kind = _JOB_KIND_NAMES[result.kind]
        inserted = _store(_record_rows(unique, kind, now, identity), now)
    report.accepted = inserted
    report.duplicates += len(unique) - inserted
    report.errors.sort(key=lambda error: error.index)
    return report


def _accept_uniform(
    jobs: UniformJobs, identity: IngestIdentity | None, now: datetime
) -> UploadReport | None:
    """Store a uniform job message straight from its columns, or return None when any
    record would be refused or collapsed (the caller then takes it record by record)."""
    sites = cast(Sequence[str], jobs.columns["Site"])
    distinct = set(sites)
    if identity is not None and not all(map(identity.may_send_for, distinct)):
        return None
    keys = set(zip(sites, jobs.columns["LocalJobId"], jobs.columns["EndTime"], strict=True))
    if len(keys) != len(jobs):
        return None  # the same job twice in one message: the last of each wins
    rows = uniform_rows(jobs, _JOB_KIND_NAMES[jobs.kind], now, identity)
    with transaction.atomic():
        queue_lock()  # as in accept_message
        relayed = relay.months_relayed(distinct)
        if relayed and not relayed.isdisjoint(_months_of(rows)):
            return None
        inserted = _store(rows, now)
    return UploadReport(accepted=inserted, duplicates=len(jobs) - inserted)


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
    policies = site_policies(str(r.fields["Site"]) for r in allowed)
    with transaction.atomic():
        queue_lock()
        places = [where[id(r)] for r in allowed]
        relay.store_relayed(allowed, places, policies, now, _source(identity), report)
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


def _source(identity: IngestIdentity | None) -> str:
    return "" if identity is None else f"{identity.kind}:{identity.subject}"[:255]


def _record_rows(
    records: list[Record], kind: str, now: datetime, identity: IngestIdentity | None
) -> list[tuple]:
    """The rows of job records, in the order of _COLUMNS."""
    policies = site_policies(str(r.fields["Site"]) for r in records)
    received = connection.ops.adapt_datetimefield_value(now)
    source = _source(identity)
    rows = []
    for record in records:
        # Read straight from the fields dict: this runs once per uploaded record.
        fields = record.fields
        end = cast(int, fields["EndTime"])
        wall = cast(int, fields["WallDuration"])
        unit, level = record.benchmark or ("", 0.0)
        year, month = time.gmtime(end)[:2]
        rows.append(
            (
                kind,
                record.header,
                serialise_record(record),
                fields["Site"],
                fields.get("SubmitHost") or "",
                fields["LocalJobId"],
                end,
                year,
                month,
                1,
                wall,
                fields["CpuDuration"],
                wall * level * HS06_PER_UNIT.get(unit, 0.0),
                received,
                source,
                policies[str(fields["Site"])].forwards_jobs,
            )
        )
    return rows


def uniform_rows(
    jobs: UniformJobs, kind: str, now: datetime, identity: IngestIdentity | None
) -> list[tuple]:
    """The same rows as _record_rows gives for `jobs.records()`, built column by column."""
    columns = jobs.columns
    sites = cast(Sequence[str], columns["Site"])
    ends = cast(Sequence[int], columns["EndTime"])
    walls = cast(Sequence[int], columns["WallDuration"])
    units = cast(Sequence[str], columns["ServiceLevelType"])  # uniform_jobs requires both
    levels = cast(Sequence[float], columns["ServiceLevel"])
    per_unit = {unit: HS06_PER_UNIT.get(unit.lower(), 0.0) for unit in set(units)}
    hs06 = [w * lv * per_unit[u] for w, lv, u in zip(walls, levels, units, strict=True)]
    # A month is a whole number of UTC days, so each distinct day is converted once.
    days = [end // 86400 for end in ends]
    month_of = {day: time.gmtime(day * 86400)[:2] for day in set(days)}
    years, months = zip(*map(month_of.__getitem__, days), strict=True)
    policies = site_policies(set(sites))
    forwards = [policies[site].forwards_jobs for site in sites]
    hosts = columns.get("SubmitHost") or repeat("")
    received = connection.ops.adapt_datetimefield_value(now)
    return list(
        zip(
            repeat(kind),
            repeat(SCHEMAS[jobs.kind].header),
            jobs.texts,
            sites,
            hosts,
            columns["LocalJobId"],
            ends,
            years,
            months,
            repeat(1),
            walls,
            columns["CpuDuration"],
            hs06,
            repeat(received),
            repeat(_source(identity)),
            forwards,
        )
    )


def _months_of(rows: list[tuple]) -> set[tuple[str, int, int]]:
    return {(row[3], row[7], row[8]) for row in rows}


def _store(rows: list[tuple], now: datetime) -> int:
    """Insert in bulk, skipping keys already stored; return how many rows went in. Call it
    inside the upload's transaction, under the queue's lock (vacmon.apel.queue): each
    statement here is a round trip made while every other upload and cut waits."""
    if not rows:
        return 0
    months = _months_of(rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            inserted = _upsert_postgresql(cursor, rows)
        else:
            inserted = 0
            for first in range(0, len(rows), _INSERT_CHUNK):
                cursor.executemany(_insert_sql(), rows[first : first + _INSERT_CHUNK])
                # Inserted and replaced rows count; a resend identical to what is held
                # fails the upsert's WHERE and counts 0 (sqlite3 sums over executemany).
                inserted += max(cursor.rowcount, 0)
        _mark_changed(months, now)
    return inserted


_STAGE = "apel_upload"


def _upsert_postgresql(cursor: Any, rows: list[tuple]) -> int:
    """COPY the rows straight into the table when none of their jobs is held yet (the usual
    upload), else into a per-session staging table and one upsert from it. COPY streams
    rows without the per-value array adaptation a parameterised INSERT costs; the straight
    COPY also spares the server the staging copy and the upsert's speculative insertions
    (bench/apel.py on PostgreSQL: 11 against 20 us a record for the store step)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in _COLUMNS)
    table = quote(ApelRecord._meta.db_table)
    try:
        # A savepoint: a job already held (a resend, a corrected record) fails the COPY on
        # the unique job key and undoes only this attempt. The server logs that failure.
        with transaction.atomic():
            _copy(cursor, table, columns, rows)
        return len(rows)
    except IntegrityError:
        pass
    # Temporary, so private to this session; emptied at commit and after use.
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS"
        f" AS SELECT {columns} FROM {table} WITH NO DATA"
    )
    _copy(cursor, _STAGE, columns, rows)
    cursor.execute(_insert_sql(f"SELECT {columns} FROM {_STAGE}"))
    inserted = max(cursor.rowcount, 0)
    # Emptied now too, for callers that hold one transaction over several uploads.
    cursor.execute(f"DELETE FROM {_STAGE}")
    return inserted


def _copy(cursor: Any, table: str, columns: str, rows: list[tuple]) -> None:
    # The raw psycopg cursor: its errors get Django's classes as any query's do.
    with (
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


_KEY_COLUMNS = ("site", "local_job_id", "end_time")


def _insert_sql(source: str | None = None) -> str:
    quote = connection.ops.quote_name
    table = quote(ApelRecord._meta.db_table)
    columns = ", ".join(quote(name) for name in _COLUMNS)
    values = source or f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
    key = ", ".join(quote(name) for name in _KEY_COLUMNS)
    updates = ", ".join(
        f"{quote(name)} = excluded.{quote(name)}" for name in _COLUMNS if name not in _KEY_COLUMNS
    )
    text, header, pk = quote("text"), quote("header"), quote("id")
    # Both SQLite (>= 3.24) and PostgreSQL understand this; the unique constraint on the
    # job key decides what is the same job, even between two concurrent uploads. A
    # changed record takes a new id at the end of the queue, so it leaves its batch (sent
    # or not) and waits for the next one: a batch in flight carries the old text, so only
    # a later batch can make APEL's copy current (vacmon.apel.queue).
    if connection.vendor == "postgresql":
        new_id = f"nextval(pg_get_serial_sequence('{table}', 'id'))"
    else:
        new_id = f"(SELECT MAX({pk}) FROM {table}) + 1"
    return (
        f"INSERT INTO {table} AS held ({columns}) {values} ON CONFLICT ({key}) DO UPDATE"
        f" SET {updates}, {pk} = {new_id}"
        f" WHERE held.{text} <> excluded.{text} OR held.{header} <> excluded.{header}"
    )


def _mark_changed(months: set[tuple[str, int, int]], now: datetime) -> None:
    ApelMonth.objects.bulk_create(
        [ApelMonth(site=s, year=y, month=m, changed_at=now) for s, y, m in sorted(months)],
        update_conflicts=True,
        unique_fields=["site", "year", "month"],
        update_fields=["changed_at"],
    )


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
    policies = site_policies(m.site for m in months)
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
