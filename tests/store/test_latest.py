from __future__ import annotations

from importlib import import_module

import pytest
from django.db import connection

from tests.builders import factory_status, machinetype_status
from vacmon.models import LatestStatus
from vacmon.store.embedded import EmbeddedStore

pytestmark = pytest.mark.django_db

T0 = 1_700_000_000
BACKFILL = import_module("vacmon.migrations.0013_latest_vo").BACKFILL
FIGURES = import_module("vacmon.migrations.0015_latest_figures")


def vos() -> set[tuple[str, str | None]]:
    pointers = LatestStatus.objects.filter(message_type="machinetype_status")
    return set(pointers.values_list("item", "vo"))


def test_the_latest_state_keeps_the_vo_of_each_machinetype_newest_message():
    store = EmbeddedStore()
    store.write([machinetype_status(received=T0, machinetype="mt", fqan="/lhcb/Role=NULL")])
    store.write([machinetype_status(received=T0 + 60, machinetype="mt", fqan="/atlas")])
    store.write([machinetype_status(received=T0 + 90, sent=T0 - 60, machinetype="mt")])
    assert vos() == {("mt", "atlas")}


def test_the_migration_backfill_finds_each_machinetype_vo():
    EmbeddedStore().write(
        [machinetype_status(received=T0, machinetype=mt) for mt in ("lhcb", "atlas")]
    )
    LatestStatus.objects.update(vo=None)
    with connection.cursor() as cursor:
        cursor.execute(BACKFILL)
    assert vos() == {("lhcb", "lhcb"), ("atlas", "atlas")}


def test_the_migration_backfill_copies_each_pointers_figures():
    store = EmbeddedStore()
    store.write(
        [
            factory_status(received=T0, running_processors=5, max_hs06=80.0),
            machinetype_status(received=T0, machinetype="lhcb", running_hs06=12.5),
        ]
    )
    figures = ("skewed", "running_processors", "running_hs06", "max_hs06")
    written = set(LatestStatus.objects.values_list("item", *figures))
    LatestStatus.objects.update(running_processors=None, running_hs06=None, max_hs06=None)
    with connection.cursor() as cursor:
        for sql in (FIGURES.FACTORIES, FIGURES.MACHINETYPES):
            cursor.execute(sql)
    assert set(LatestStatus.objects.values_list("item", *figures)) == written
    assert {(item, procs, hs06max) for item, _, procs, _, hs06max in written} == {
        ("", 5, 80.0),
        ("lhcb", 1, None),
    }
