"""Migration 0020: rollups kept from before it count each metric where they hold it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("vacmon", "0019_apel_batch_ranges")]
AFTER = [("vacmon", "0020_rollup_metric_counts")]


@pytest.mark.django_db(transaction=True)
def test_an_existing_rollup_counts_its_messages_for_each_metric_it_holds_and_none_for_others() -> (
    None
):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    rollup = executor.loader.project_state(BEFORE).apps.get_model("vacmon", "Rollup")
    rollup.objects.create(
        resolution=300,
        bucket=0,
        message_type="factory_status",
        site="S",
        space="s",
        factory="f",
        samples=3,
        running_processors=6.0,
        load_average=None,
    )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    from vacmon.models import Rollup

    counts = Rollup.objects.values_list(
        "n_running_processors", "n_load_average", "n_num_before_fizzle"
    ).get()
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
    assert counts == (3, 0, 0)
