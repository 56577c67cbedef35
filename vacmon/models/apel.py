"""APEL accounting: uploaded job records, the summaries built from them, and the outbox
that forwards them to the central APEL server (spec apel-ssm.md 2, 3).

One table, ApelRecord, holds every record VacMon keeps: the uploaded individual job
records (the accounting store, one per APEL job key), the summary and sync records built
from them, and summary and sync records uploaded by sites that summarise themselves.
Records with `forward` set are the outbox's contents, queued in id order per header. An
ApelBatch is a range of that queue: the forwarded records of its header with ids from
`first_record` to `last_record`. Cutting a batch writes one batch row and no record row,
and a record replaced by a changed upload takes a new, higher id, so it leaves whatever
batch it was in and queues again. Keeping the job record and its outbox entry in one row
means an upload is a single insert, and "accepted" can never drift from "queued".
"""

from __future__ import annotations

from django.db import models
from django.db.models import Max, Q

MODE_INDIVIDUAL = "individual"
MODE_SUMMARIES = "summaries"
MODE_BOTH = "both"
MODES = [
    (MODE_INDIVIDUAL, "individual: forward every job record"),
    (MODE_SUMMARIES, "summaries: forward monthly summaries only"),
    (MODE_BOTH, "both: job records and monthly summaries"),
]

KIND_JOB = "job"
KIND_JOB_V04 = "job-v0.4"
KIND_SUMMARY = "summary"
KIND_SYNC = "sync"
JOB_KINDS = (KIND_JOB, KIND_JOB_V04)
# Summary and sync records a site's own APEL client produced, uploaded and forwarded as
# they came: kept apart from the kinds VacMon builds, which its summariser replaces.
KIND_RELAYED_SUMMARY = "relayed-summary"
KIND_RELAYED_SYNC = "relayed-sync"
RELAYED_KINDS = (KIND_RELAYED_SUMMARY, KIND_RELAYED_SYNC)


class ApelSiteSettings(models.Model):
    """What to forward for one APEL site (the GOCDB name factories put in `Site`).

    A site without a row forwards individual job records, as ssmsend would have."""

    site = models.CharField(max_length=255, unique=True)
    mode = models.CharField(max_length=16, choices=MODES, default=MODE_INDIVIDUAL)
    enabled = models.BooleanField(default=True, help_text="off: store, but forward nothing")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "APEL site settings"
        verbose_name_plural = "APEL site settings"
        ordering = ["site"]

    def __str__(self) -> str:
        return f"{self.site}: {self.mode}{'' if self.enabled else ' (off)'}"


# The order batches were cut in: a pass cuts several at one time (vacmon.apel.outbox), and
# each cut takes the oldest waiting record, so their first records tell them apart.
CUT_ORDER = ("created_at", "first_record")


class ApelBatch(models.Model):
    """One outgoing APEL message. Once formed its records never change, and its id is the
    STOMP `empa-id`, so a resend after a lost receipt is recognisably the same message."""

    id = models.CharField(max_length=32, primary_key=True)
    header = models.CharField(max_length=64)
    record_count = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    # The claim: a worker owns the batch while claimed_until is in the future. Taken with
    # a conditional UPDATE; a crashed worker's claim simply runs out.
    claimed_until = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="failed attempts so far")
    last_error = models.TextField(blank=True, default="")
    last_failed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="when the receipt came")
    # The batch's records: forwarded ApelRecords of `header` with ids in this range.
    first_record = models.BigIntegerField(default=0)
    last_record = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "APEL batch"
        verbose_name_plural = "APEL batches"
        ordering = list(CUT_ORDER)
        indexes = [
            models.Index(
                fields=["created_at"], name="apel_batch_unsent", condition=Q(sent_at=None)
            ),
            # Where each header's queue was last cut: max(last_record) per header.
            models.Index(fields=["header", "last_record"], name="apel_batch_cut"),
        ]

    def records(self) -> models.QuerySet[ApelRecord]:
        """The records still in this batch (one replaced since has left it)."""
        return ApelRecord.objects.filter(
            forward=True, header=self.header, id__gte=self.first_record, id__lte=self.last_record
        )

    def __str__(self) -> str:
        return f"{self.id} ({self.record_count} records)"


def cut_marks() -> dict[str, int]:
    """The last record id cut into a batch, per header; a header never cut is absent."""
    rows = ApelBatch.objects.values_list("header").annotate(last=Max("last_record"))
    return {header: int(last) for header, last in rows.order_by()}


class ApelRecordQuerySet(models.QuerySet["ApelRecord"]):
    def waiting(self, marks: dict[str, int] | None = None) -> ApelRecordQuerySet:
        """Forwarded records not yet cut into a batch: past their header's last cut."""
        marks = cut_marks() if marks is None else marks
        past = Q(forward=True) & ~Q(header__in=list(marks))
        for header, last in marks.items():
            past |= Q(forward=True, header=header, id__gt=last)
        return self.filter(past)


class ApelRecord(models.Model):
    kind = models.CharField(max_length=16)
    header = models.CharField(max_length=64)
    text = models.TextField(help_text="`Key: value` lines as forwarded, without `%%`")
    site = models.CharField(max_length=255)
    # The job key (site, local_job_id, end_time), as APEL's JobRecords primary key: the
    # submit host is not part of it. The constraint also holds year and month, which
    # end_time decides, so it keys the same jobs; leading with them, it is also the index
    # a site-month's records are read by, and an upload maintains one index fewer.
    # Summary and sync rows leave local_job_id NULL; NULLs never collide in it.
    submit_host = models.CharField(max_length=255, null=True, blank=True)
    local_job_id = models.CharField(max_length=255, null=True, blank=True)
    end_time = models.BigIntegerField(null=True, blank=True)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    jobs = models.PositiveIntegerField(default=1)
    wall_seconds = models.BigIntegerField(default=0)
    cpu_seconds = models.BigIntegerField(default=0)
    hs06_seconds = models.FloatField(default=0.0, help_text="wall seconds x HS06 per core")
    received_at = models.DateTimeField()
    source = models.CharField(max_length=255, blank=True, default="")
    forward = models.BooleanField()

    objects = ApelRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "APEL record"
        constraints = [
            models.UniqueConstraint(
                fields=["site", "year", "month", "local_job_id", "end_time"], name="apel_job_key"
            )
        ]
        indexes = [
            # Each header's queue, cut oldest first: ORDER BY id past the last cut.
            models.Index(
                fields=["header", "id"], name="apel_record_queue", condition=Q(forward=True)
            ),
            # The months a site's own APEL client summarises, looked up on every job upload
            # (vacmon.apel.relay.months_relayed): the site's few relayed rows, not every job
            # record it ever sent, which the job key would walk.
            models.Index(
                fields=["site", "year", "month"],
                name="apel_relayed_month",
                condition=Q(kind__in=RELAYED_KINDS),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.site} {self.local_job_id or f'{self.year}-{self.month:02d}'}"


class ApelMonth(models.Model):
    """A site's month whose job records changed since its summary and sync records were
    last built: uploads bump `changed_at`, the summariser sets `summarised_at`."""

    site = models.CharField(max_length=255)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    changed_at = models.DateTimeField()
    summarised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "APEL site month"
        ordering = ["site", "year", "month"]
        constraints = [
            models.UniqueConstraint(fields=["site", "year", "month"], name="apel_month_key")
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.year}-{self.month:02d}"


class ApelForwarderState(models.Model):
    """The last forwarding pass, including refusals that happen before any batch is
    claimed (an expiring certificate, an unreadable configuration)."""

    name = models.CharField(max_length=32, unique=True, default="default")
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_success_at = models.DateTimeField(null=True, blank=True)
    sent_records_total = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "APEL forwarder state"

    def __str__(self) -> str:
        return self.name
