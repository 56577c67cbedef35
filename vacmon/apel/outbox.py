"""The APEL outbox on Django's database: apel.outbox.Outbox for the core's Forwarder.

Records waiting to go are ApelRecord rows with `forward` set and no batch. A batch is cut
from them once (one header, at most 1,000 records and MAX_BODY_BYTES, oldest first) and
never changes afterwards. Ownership of a batch is taken with a conditional UPDATE on
`claimed_until`; one changed row means this worker holds it, so two workers, or a
restarted one, never send the same batch at the same time. A worker that dies between
the broker's receipt and `mark_sent` leaves its claim to run out, and the batch then goes
again under the same id (at-least-once; APEL's loader replaces on natural keys).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apel.builder import MAX_BODY_BYTES, MAX_RECORDS_PER_MESSAGE, fit_count
from apel.outbox import DEFAULT_LEASE, Batch
from vacmon.models import ApelBatch, ApelForwarderState, ApelRecord

# Claims lost to another worker before this one gives up for this call.
_CLAIM_TRIES = 5


class DjangoOutbox:
    def __init__(
        self,
        lease: timedelta = DEFAULT_LEASE,
        max_records: int = MAX_RECORDS_PER_MESSAGE,
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._lease = lease
        self._max_records = max_records
        self._max_bytes = max_bytes

    def claim_next_batch(self, now: datetime) -> Batch | None:
        for _ in range(_CLAIM_TRIES):
            due = self._due_batch(now)
            formed = None if due is not None else self._form_batch(now)
            batch_id = due if formed is None else formed.batch_id
            if batch_id is None:
                return None
            if self._claim(batch_id, now):
                # A batch formed just now is already in hand; no need to read it back.
                batch = formed or self._load(batch_id)
                if batch.records:
                    return batch
                # Every record of it was replaced by a newer upload and waits for a
                # later batch (services._insert_sql): nothing is left to send under it.
                ApelBatch.objects.filter(id=batch_id, sent_at=None).delete()
                continue
            # Another worker claimed it between our SELECT and UPDATE: look again.
        return None

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
            .order_by("created_at")
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
        pending = ApelRecord.objects.filter(forward=True, batch=None)
        with transaction.atomic():
            header = pending.order_by("id").values_list("header", flat=True).first()
            if header is None:
                return None
            rows = list(
                pending.filter(header=header)
                .order_by("id")
                .values_list("id", "text")[: self._max_records]
            )
            texts = [text for _, text in rows]
            count = fit_count(header, texts, self._max_records, self._max_bytes)
            ids = [row_id for row_id, _ in rows[:count]]
            batch = ApelBatch.objects.create(
                id=uuid.uuid4().hex, header=header, record_count=count, created_at=now
            )
            # An id range, not `id IN (...)`: a thousand-item IN costs more in the ORM
            # than the whole UPDATE. `batch=None` again, because on PostgreSQL a
            # concurrent former may have taken some rows since our SELECT ...
            mine = pending.filter(header=header, id__gte=ids[0], id__lte=ids[-1])
            taken = mine.update(batch=batch)
            if taken != count:
                # ... or a concurrent upload committed rows inside the range: hand those
                # back, and keep exactly what we read (the batch must match its text).
                ApelRecord.objects.filter(batch=batch).exclude(id__in=ids).update(batch=None)
                return self._settle(batch, now)
        return Batch(batch.id, header, tuple(texts[:count]), 0)

    def _settle(self, batch: ApelBatch, now: datetime) -> Batch | None:
        texts = tuple(
            ApelRecord.objects.filter(batch=batch).order_by("id").values_list("text", flat=True)
        )
        if not texts:
            batch.delete()
            return None
        ApelBatch.objects.filter(id=batch.id).update(record_count=len(texts))
        return Batch(batch.id, batch.header, texts, 0)

    def _load(self, batch_id: str) -> Batch:
        batch = ApelBatch.objects.only("header", "attempts").get(id=batch_id)
        texts = (
            ApelRecord.objects.filter(batch_id=batch_id)
            .order_by("id")
            .values_list("text", flat=True)
        )
        return Batch(batch_id, batch.header, tuple(texts), batch.attempts)
