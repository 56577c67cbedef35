"""The embedded store's bulk writes (vacmon.store.embedded.bulk): rows straight in by COPY on
PostgreSQL, staged where a row may be stored already, executemany on SQLite."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction

from tests.builders import factory_status, machinetype_status
from vacmon.models import FactoryStatus, LatestStatus, MachineShutdown
from vacmon.store.embedded import EmbeddedStore
from vacmon.store.faults import is_transient

T0 = 1_700_000_000


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


@pytest.mark.django_db
def test_a_batch_beside_a_message_stored_before_stores_the_rest_and_counts_one_duplicate():
    store = EmbeddedStore()
    old = factory_status(factory="f1.example.org", received=T0)
    store.write([old])
    new = factory_status(factory="f2.example.org", received=T0)
    result = store.write([new, old, machinetype_status(factory="f2.example.org", received=T0)])
    assert (result.inserted, result.duplicates) == (2, 1)
    assert sorted(FactoryStatus.objects.values_list("factory", flat=True)) == [
        "f1.example.org",
        "f2.example.org",
    ]


@pytest.mark.django_db
def test_a_message_twice_in_one_batch_is_stored_once_and_counted_once_as_duplicate():
    m = factory_status(received=T0)
    result = EmbeddedStore().write([m, m])
    assert (result.inserted, result.duplicates) == (1, 1)
    assert FactoryStatus.objects.count() == 1


@pytest.mark.django_db
def test_writes_inside_one_outer_transaction_each_apply_only_their_own_latest_state():
    store = EmbeddedStore()
    with transaction.atomic():
        store.write([factory_status(received=T0, sent=T0)])
        # The first write's staged rows must be gone: read again, they would make this
        # statement update the same latest row twice, which PostgreSQL refuses.
        store.write([factory_status(received=T0 + 60, sent=T0 + 60)])
    latest = LatestStatus.objects.get(message_type="factory_status")
    assert latest.time_sent == T0 + 60


@pytest.mark.django_db
def test_a_machine_outcome_already_stored_is_not_stored_again_beside_a_new_one():
    from vacmon.store.embedded import writer

    store = EmbeddedStore()
    first = machinetype_status(received=T0, shutdown_machine="vm-1.example.org")
    store.write([first])
    writer._STORED.clear()  # as after a restart: only the database knows it
    later = machinetype_status(received=T0 + 60, shutdown_machine="vm-1.example.org")
    other = machinetype_status(
        factory="f9.example.org", received=T0 + 60, shutdown_machine="vm-9.example.org"
    )
    result = store.write([later, other])
    assert result.inserted == 2
    assert sorted(MachineShutdown.objects.values_list("machine", flat=True)) == [
        "vm-1.example.org",
        "vm-9.example.org",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_write_after_a_rolled_back_one_still_has_its_staging_tables():
    store = EmbeddedStore()
    with pytest.raises(RuntimeError), transaction.atomic():
        # The first write on this connection makes the staging tables; the rollback
        # takes them away again.
        store.write([factory_status(received=T0)])
        raise RuntimeError("the caller's transaction fails")
    result = store.write([factory_status(received=T0 + 60, sent=T0 + 60)])
    assert result.inserted == 1
    assert LatestStatus.objects.get(message_type="factory_status").time_sent == T0 + 60


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_in_the_middle_of_a_write_is_a_transient_error():
    if not _on_postgresql():
        pytest.skip("SQLite has no server connection to lose")
    store = EmbeddedStore()
    store.write([factory_status(received=T0)])
    pid = connection.connection.info.backend_pid
    url = connection.settings_dict
    with psycopg.connect(
        host=url["HOST"], port=url["PORT"], user=url["USER"], dbname=url["NAME"], autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    with pytest.raises(Exception) as caught:
        store.write([factory_status(received=T0 + 60, sent=T0 + 60)])
    assert is_transient(caught.value), repr(caught.value)
    # And the retry the writer makes on a transient error gets through.
    assert store.write([factory_status(received=T0 + 60, sent=T0 + 60)]).inserted == 1
