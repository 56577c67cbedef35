"""Migration 0019: batches become id ranges; what still waits is queued again past them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apel.fields import JOB

BEFORE = [("vacmon", "0018_quarantined_messages")]
AFTER = [("vacmon", "0019_apel_batch_ranges")]
T = "2026-10-01T00:00Z"


@pytest.mark.django_db(transaction=True)
def test_sent_batches_keep_their_records_and_waiting_ones_queue_again_in_sending_order() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    record, batch = apps.get_model("vacmon", "ApelRecord"), apps.get_model("vacmon", "ApelBatch")
    sent = batch.objects.create(id="sent", header=JOB.header, record_count=2, created_at=T)
    sent.sent_at = T
    sent.save()
    unsent = batch.objects.create(id="unsent", header=JOB.header, record_count=2, created_at=T)
    common = {"kind": "job", "header": JOB.header, "site": "S", "year": 2026, "month": 10}
    # Ids 1..6: a replaced record (4, uncut) sits between the sent batch's records.
    layout = [("a", sent), ("b", sent), ("c", unsent), ("d", None), ("e", unsent), ("f", None)]
    for job, owner in layout:
        record.objects.create(
            text=job,
            local_job_id=job,
            end_time=1,
            received_at=T,
            forward=True,
            batch=owner,
            **common,
        )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    from vacmon.models import ApelBatch, ApelRecord

    ranges = {b.id: [r.text for r in b.records().order_by("id")] for b in ApelBatch.objects.all()}
    waiting = list(ApelRecord.objects.waiting().order_by("id").values_list("text", flat=True))
    queue = list(ApelRecord.objects.order_by("id").values_list("text", flat=True))
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
    assert ranges == {"sent": ["a", "b"], "unsent": ["c", "e"]}
    assert waiting == ["d", "f"]
    assert queue == ["a", "b", "c", "e", "d", "f"]
