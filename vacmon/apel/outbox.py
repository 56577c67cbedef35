"""The APEL outbox on Django's database: apel.outbox.Outbox for the core's Forwarder.

Records waiting to go are ApelRecord rows with `forward` set past their header's last cut
(vacmon.apel.queue). A batch is cut from them once (one header, at most 1,000 records and
MAX_BODY_BYTES, oldest first) as an id range, and never changes afterwards, except that a
record replaced by a changed upload leaves it for a later batch. Ownership of a batch is
taken with a conditional UPDATE on `claimed_until`; one changed row means this worker
holds it, and a batch is created already claimed by its cutter, so two workers, or a
restarted one, never send the same batch at the same time. A worker that dies between
the broker's receipt and `mark_sent` leaves its claim to run out, and the batch then goes
again under the same id (at-least-once; APEL's loader replaces on natural keys).
"""

from __future__ import annotations

import uuid
from collections import deque
from datetime import datetime, timedelta
from itertools import islice

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from apel.builder import MAX_BODY_BYTES, MAX_RECORDS_PER_MESSAGE, fit_lengths
from apel.fields import SCHEMAS
from apel.outbox import DEFAULT_LEASE, Batch
from vacmon.apel.queue import queue_lock
from vacmon.models import ApelBatch, ApelForwarderState, ApelRecord
from vacmon.models.apel import CUT_ORDER, cut_marks

# Claims lost to another worker before this one gives up for this call.
_CLAIM_TRIES = 5
# Ids a cut looks through for each batch's records, from the oldest waiting one.
_CUT_SPAN = 10 * MAX_RECORDS_PER_MESSAGE
# Every header a stored record can carry: each kind's own (uploads and summaries alike).
HEADERS = tuple(sorted({schema.header for schema in SCHEMAS.values()}))


# The two reads of records, as plain SQL: each returns 1,000 rows a batch, which
# the ORM turned into values at 1 to 1.5 us a row, more than the database took.
# `"forward"` and the header name the partial index apel_record_queue.
_SIZES = (
    # Records are ASCII (apel.parse), so bytes are characters, as fit_lengths counts
    # them. PostgreSQL's LENGTH walks the text to count characters (1.8 of the 2.1 ms a
    # cut of 1,000 records took); OCTET_LENGTH reads the size the value carries.
    'SELECT "id", {length}("text") FROM {table}'
    ' WHERE "forward" AND "header" = %s AND "id" >= %s AND "id" < %s ORDER BY "id" LIMIT %s'
)
_TEXTS = (  # ApelBatch.records, in order
    'SELECT "text" FROM {table}'
    ' WHERE "forward" AND "header" = %s AND "id" >= %s AND "id" <= %s ORDER BY "id"'
)


def _query(sql: str, params: list[object]) -> list[tuple]:
    length = "OCTET_LENGTH" if connection.vendor == "postgresql" else "LENGTH"
    table = connection.ops.quote_name(ApelRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(length=length, table=table), params)
        return cursor.fetchall()


class DjangoOutbox:
    """`cut_ahead` batches are cut under one hold of the queue's lock, the first handed out
    at once and the others by the next calls: uploads hold that lock while they store, so
    a forwarder that waited for it once per batch fell behind them (bench/apel.py
    --pipelined on PostgreSQL). Call release() at the end of a pass, for any left."""

    def __init__(
        self,
        lease: timedelta = DEFAULT_LEASE,
        max_records: int = MAX_RECORDS_PER_MESSAGE,
        max_bytes: int = MAX_BODY_BYTES,
        cut_ahead: int = 1,
    ) -> None:
        self._lease = lease
        self._max_records = max_records
        self._max_bytes = max_bytes
        self._cut_ahead = max(cut_ahead, 1)
        self._formed: deque[Batch] = deque()  # cut and claimed by us, not handed out yet

    def claim_next_batch(self, now: datetime) -> Batch | None:
        if self._formed:
            return self._formed.popleft()
        for _ in range(_CLAIM_TRIES):
            due = self._due_batch(now)
            if due is None:
                # A batch formed here is created claimed and is already in hand.
                return self._form_batch(now)
            if self._claim(due, now):
                batch = self._loaded(ApelBatch.objects.get(id=due))
                if batch is not None:
                    return batch
                continue
            # Another worker claimed it between our SELECT and UPDATE: look again.
        return None

    def release(self) -> None:
        """Give up the claims of batches cut ahead and never handed out, so that the next
        pass sends them without waiting for their lease to run out."""
        ids = [batch.batch_id for batch in self._formed]
        self._formed.clear()
        if ids:
            ApelBatch.objects.filter(id__in=ids, sent_at=None).update(claimed_until=None)

    def mark_sent(self, batch_id: str, records: int) -> None:
        """Mark the batch sent and count its records in the same transaction, once: a
        pass that dies after this loses nothing, and a batch resent under its empa-id
        after a crash before it is counted when its second receipt comes."""
        now = timezone.now()
        with transaction.atomic():
            changed = ApelBatch.objects.filter(id=batch_id, sent_at=None).update(
                sent_at=now, claimed_until=None
            )
            if changed == 1:
                counted = ApelForwarderState.objects.filter(name="default").update(
                    sent_records_total=F("sent_records_total") + records, last_success_at=now
                )
                if not counted:  # the very first batch ever sent
                    ApelForwarderState.objects.create(
                        name="default", sent_records_total=records, last_success_at=now
                    )

    def mark_failed(self, batch_id: str, reason: str, retry_at: datetime) -> None:
        ApelBatch.objects.filter(id=batch_id).update(
            claimed_until=None,
            retry_at=retry_at,
            attempts=F("attempts") + 1,
            last_error=reason[:2000],
            last_failed_at=timezone.now(),
        )

    @staticmethod
    def _unclaimed(now: datetime) -> Q:
        return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)

    def _due_batch(self, now: datetime) -> str | None:
        due = (
            ApelBatch.objects.filter(sent_at=None)
            .filter(self._unclaimed(now))
            .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
            .order_by(*CUT_ORDER)
            .values_list("id", flat=True)
            .first()
        )
        return None if due is None else str(due)

    def _claim(self, batch_id: str, now: datetime) -> bool:
        changed = (
            ApelBatch.objects.filter(id=batch_id, sent_at=None)
            .filter(self._unclaimed(now))
            .update(claimed_until=now + self._lease)
        )
        return changed == 1

    def _form_batch(self, now: datetime) -> Batch | None:
        """Cut up to `cut_ahead` new batches, claimed by us, under one hold of the lock;
        hand out the first and keep the others for the next calls. Their texts are read
        once the lock is given up: a batch's records are its id range, which a replaced
        record can only leave (as when a due batch is loaded again)."""
        with transaction.atomic():
            queue_lock()  # one cutter at a time, and no upload in flight below us
            cut = self._cut_window(now, cut_marks())
        formed = [batch for batch in map(self._loaded, cut) if batch is not None]
        self._formed.extend(formed[1:])
        return formed[0] if formed else None

    def _cut_window(self, now: datetime, marks: dict[str, int]) -> list[ApelBatch]:
        """Cut up to `cut_ahead` batches from the waiting records, the oldest first (call
        under the queue's lock). One read of ids and sizes per header with records
        waiting, and one insert of the batch rows, whose id ranges name their records:
        each statement here is a round trip made while every upload waits."""
        most = self._max_records * self._cut_ahead
        waiting = {}
        for first, header in self._oldest_waiting(marks):
            # The upper bound keeps PostgreSQL on the (header, id) index while the table
            # has no statistics yet (just filled): unbounded, it sorts every waiting row.
            # Should other headers' records crowd the span, the window is only smaller.
            span = first + _CUT_SPAN * self._cut_ahead
            waiting[header] = deque(_query(_SIZES, [header, first, span, most]))
        cut: list[ApelBatch] = []
        while len(cut) < self._cut_ahead and any(waiting.values()):
            _, header = min((rows[0][0], header) for header, rows in waiting.items() if rows)
            rows = waiting[header]
            head = list(islice(rows, self._max_records))
            count = fit_lengths(header, [size for _, size in head], self._max_bytes)
            for _ in range(count):
                rows.popleft()
            cut.append(
                ApelBatch(
                    id=uuid.uuid4().hex,
                    header=header,
                    record_count=count,
                    created_at=now,
                    claimed_until=now + self._lease,
                    first_record=head[0][0],
                    last_record=head[count - 1][0],
                )
            )
        ApelBatch.objects.bulk_create(cut)
        return cut

    @staticmethod
    def _oldest_waiting(marks: dict[str, int]) -> list[tuple[int, str]]:
        """The id of each header's oldest waiting record, for the headers with any: one
        statement, one index probe per header (`WHERE "forward"` as the partial index
        apel_record_queue says it)."""
        table = connection.ops.quote_name(ApelRecord._meta.db_table)
        probe = f'SELECT MIN("id") FROM {table} WHERE "forward" AND "header" = %s AND "id" > %s'
        sql = " UNION ALL ".join([f"SELECT %s, ({probe})"] * len(HEADERS))
        params: list[object] = []
        for header in HEADERS:
            params += [header, header, marks.get(header, 0)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(int(first), str(header)) for header, first in cursor if first is not None]

    @staticmethod
    def _loaded(batch: ApelBatch) -> Batch | None:
        """The batch with its records' texts, or None (and its row gone) when every record
        of it was replaced by a newer upload and waits for a later batch
        (vacmon.apel.jobs): nothing is left to send under it."""
        bounds = [batch.header, batch.first_record, batch.last_record]
        texts = tuple(text for (text,) in _query(_TEXTS, bounds))
        if not texts:
            ApelBatch.objects.filter(id=batch.id, sent_at=None).delete()
            return None
        return Batch(str(batch.id), batch.header, texts, batch.attempts)
