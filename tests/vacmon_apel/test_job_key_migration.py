"""Migration 0016: job records that differed only in submit host become one, the newest."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("vacmon", "0015_latest_figures")]
AFTER = [("vacmon", "0016_apel_job_key_without_submit_host")]


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_newest_record_of_each_apel_job_key() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("vacmon", "ApelRecord")
    common = {"kind": "job", "header": "h", "text": "t", "site": "S", "year": 2026, "month": 10}
    for host, job in (("ce-a", "1"), ("ce-b", "1"), ("ce-a", "2")):
        old.objects.create(
            submit_host=host,
            local_job_id=job,
            end_time=100,
            received_at="2026-10-01T00:00Z",
            forward=True,
            **common,
        )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("vacmon", "ApelRecord")
    kept = sorted(new.objects.values_list("local_job_id", "submit_host"))
    # Later migrations, if any, are applied again for the tests that follow.
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
    assert kept == [("1", "ce-b"), ("2", "ce-a")]


@pytest.mark.django_db(transaction=True)
def test_the_job_key_taking_year_and_month_keeps_every_record_and_still_keys_one_job() -> None:
    before, after = (
        [("vacmon", "0022_apel_batch_cut_order")],
        [("vacmon", "0023_apel_job_key_leads_with_month")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("vacmon", "ApelRecord")
    common = {"header": "h", "text": "t", "site": "S", "received_at": "2026-10-01T00:00Z"}
    old.objects.create(
        kind="job", local_job_id="1", end_time=100, year=1970, month=1, forward=True, **common
    )
    old.objects.create(kind="summary", year=1970, month=1, forward=True, **common)
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model("vacmon", "ApelRecord")
    kept = sorted(new.objects.values_list("kind", "local_job_id"), key=str)
    try:
        with pytest.raises(IntegrityError), transaction.atomic():
            new.objects.create(
                kind="job",
                local_job_id="1",
                end_time=100,
                year=1970,
                month=1,
                forward=True,
                **common,
            )
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
    assert kept == [("job", "1"), ("summary", None)]
