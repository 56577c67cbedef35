from __future__ import annotations

import pytest

from tests.builders import factory_status, machinetype_status
from vacmon.models import Rollup, RollupWatermark
from vacmon.store.embedded import EmbeddedStore, rollups
from vacmon.store.series import combine

pytestmark = pytest.mark.django_db

T0 = 1_700_000_000 - 1_700_000_000 % 3600


def test_rollups_keep_sums_and_counts_per_sender_and_bucket():
    store = EmbeddedStore()
    store.write(
        [
            factory_status(received=T0 + 10, running_processors=2),
            factory_status(received=T0 + 70, running_processors=4),
            factory_status(received=T0 + 400, running_processors=6),
            machinetype_status(received=T0 + 10, running_processors=1),
        ]
    )
    marks = rollups.build(T0 + 3600 + 120)
    assert marks == {300: T0 + 3600, 3600: T0 + 3600}
    first = Rollup.objects.get(resolution=300, bucket=T0, message_type="factory_status")
    assert (first.samples, first.running_processors) == (2, 6.0)
    hour = Rollup.objects.get(resolution=3600, bucket=T0, message_type="factory_status")
    assert (hour.samples, hour.running_processors) == (3, 12.0)


def test_series_read_rollups_and_raw_after_the_watermark_alike():
    store = EmbeddedStore()
    store.write(
        [
            factory_status(received=T0 + 10, running_processors=2),
            factory_status(received=T0 + 3700, running_processors=8),
        ]
    )
    rollups.build(T0 + 3600 + 61)
    assert RollupWatermark.objects.get(resolution=300).built_until == T0 + 3600
    entities = store.entity_buckets(
        "factory_status",
        "running_processors",
        group_by="site",
        since=T0,
        until=T0 + 7199,
        interval=3600,
    )
    series = combine(entities, since=T0, until=T0 + 7199, interval=3600, stale_seconds=0)
    assert series.values == {"EXAMPLE-SITE": [2.0, 8.0]}


def test_building_twice_does_not_double_count():
    store = EmbeddedStore()
    store.write([factory_status(received=T0 + 10, running_processors=2)])
    rollups.build(T0 + 400, start=T0)
    rollups.build(T0 + 400, start=T0)
    assert Rollup.objects.filter(resolution=300).count() == 1


def test_wide_buckets_are_summed_per_group_in_the_database_without_carrying():
    store = EmbeddedStore()
    store.write(
        [
            factory_status(received=T0 + 10, factory="a", running_processors=2),
            factory_status(received=T0 + 1800, factory="a", running_processors=4),
            factory_status(received=T0 + 20, factory="b", running_processors=10),
            factory_status(received=T0 + 3700, factory="a", running_processors=8),
        ]
    )
    rollups.build(T0 + 3600 + 61)
    entities = store.entity_buckets(
        "factory_status",
        "running_processors",
        group_by="site",
        since=T0,
        until=T0 + 3 * 3600 - 1,
        interval=3600,
        lookback=600,
    )
    assert [e.carry for e in entities] == [False]
    series = combine(entities, since=T0, until=T0 + 3 * 3600 - 1, interval=3600, stale_seconds=600)
    # Hour 1: a averages 3, b 10; hour 2: only a (from the raw table); hour 3: a gap.
    assert series.values == {"EXAMPLE-SITE": [13.0, 8.0, None]}
