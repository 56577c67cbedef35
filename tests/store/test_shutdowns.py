from __future__ import annotations

from importlib import import_module

import pytest
from django.db import connection

from tests.builders import machinetype_status
from vacmon.models import MachineShutdown
from vacmon.store.embedded import EmbeddedStore

pytestmark = pytest.mark.django_db

T0 = 1_700_000_000
BACKFILL = import_module("vacmon.migrations.0012_machine_shutdowns").BACKFILL


def fleet() -> list:
    return [
        machinetype_status(
            received=T0 + 60 * k,
            machinetype=mt,
            factory=f"f{k % 3}.example",
            shutdown_machine=f"m{k // 4}",
            shutdown_time=T0 + 60 * (k // 4),
            shutdown_message=f"{(k // 4 % 7 + 1) * 100} done" if k // 4 % 5 else "",
        )
        for k in range(40)
        for mt in ("lhcb", "atlas")
    ]


def stored() -> list[tuple]:
    return sorted(
        MachineShutdown.objects.values_list(
            "site", "space", "factory", "machinetype", "vo", "machine", "time", "message"
        )
    )


def test_the_migration_backfill_finds_the_outcomes_the_writer_records():
    EmbeddedStore().write(fleet())
    written = stored()
    assert written
    MachineShutdown.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(BACKFILL)
    assert [row[:3] + row[5:] for row in stored()] == [row[:3] + row[5:] for row in written]


def test_purging_old_messages_purges_their_outcomes():
    store = EmbeddedStore()
    store.write(fleet())
    store.purge(before=T0 + 60 * 40)
    assert not MachineShutdown.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_outcome_in_a_batch_that_rolled_back_is_stored_when_it_comes_again():
    from django.db import transaction

    store = EmbeddedStore()
    batch = fleet()[8:16]
    with pytest.raises(RuntimeError), transaction.atomic():
        store.write(batch)
        raise RuntimeError("the batch fails after the insert")
    assert not MachineShutdown.objects.exists()
    store.write(batch)
    assert MachineShutdown.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_outcome_stored_once_is_not_written_again_by_later_batches():
    store = EmbeddedStore()
    store.write(fleet()[8:16])
    first = stored()
    MachineShutdown.objects.all().delete()  # were it written again, it would be back
    store.write(fleet()[8:16])
    assert first and not stored()
