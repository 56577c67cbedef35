from __future__ import annotations

import pytest

from tests.builders import factory_status, machinetype_status
from vacmon.models import Rollup, RollupWatermark, SpaceRollup, SpaceRollupWatermark
from vacmon.store import ChartQuery
from vacmon.store.embedded import EmbeddedStore, charts, rollups

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
    assert marks == {
        300: T0 + 3600,
        3600: T0 + 3600,
        21600: (T0 + 3600) // 21600 * 21600,
        86400: T0 - T0 % 86400,
    }
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
    query = ChartQuery("factory_status", ("running_processors",), "site", T0, T0 + 7199, 3600)
    series = store.chart(query)["running_processors"]
    assert series.values == {"EXAMPLE-SITE": [2.0, 8.0]}


def test_building_twice_does_not_double_count():
    store = EmbeddedStore()
    store.write([factory_status(received=T0 + 10, running_processors=2)])
    rollups.build(T0 + 400, start=T0)
    rollups.build(T0 + 400, start=T0)
    assert Rollup.objects.filter(resolution=300).count() == 1


def test_wide_buckets_are_summed_per_group_in_the_database_without_carrying(monkeypatch):
    def no_carrying(query):
        raise AssertionError("a chart of wide buckets was carried forward sender by sender")

    monkeypatch.setattr(charts, "carried_series", no_carrying)
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
    query = ChartQuery(
        "factory_status",
        ("running_processors",),
        "site",
        T0,
        T0 + 3 * 3600 - 1,
        3600,
        stale_seconds=600,
    )
    series = store.chart(query)["running_processors"]
    # Hour 1: a averages 3, b 10; hour 2: only a (from the raw table); hour 3: a gap.
    assert series.values == {"EXAMPLE-SITE": [13.0, 8.0, None]}


@pytest.mark.parametrize("interval", [86400, 21600, 259200])
def test_day_then_six_hour_then_hour_rollups_then_raw_give_what_the_raw_messages_give(interval):
    store = EmbeddedStore()
    day = T0 - T0 % 86400
    store.write(
        [
            factory_status(received=day + 1800 * k + 7, factory=f"f{k % 3}", running_processors=k)
            for k in range(150)
        ]
    )
    rollups.build(day + 2 * 86400 + 3 * 3600 + 120)
    assert RollupWatermark.objects.get(resolution=86400).built_until == day + 2 * 86400
    assert RollupWatermark.objects.get(resolution=21600).built_until == day + 2 * 86400
    SpaceRollupWatermark.objects.all().delete()
    query = ChartQuery(
        "factory_status", ("running_processors",), "factory", day, day + 4 * 86400 - 1, interval
    )
    (layered,) = store.chart(query).values()
    RollupWatermark.objects.all().delete()
    (raw,) = store.chart(query).values()
    assert layered.values == raw.values
    sent = {(day + 1800 * k + 7) // interval for k in range(150)}
    assert sorted(raw.values) == ["f0", "f1", "f2"]
    assert all(sum(v is not None for v in row) == len(sent) for row in raw.values.values())


# Per-sender levels (charts by factory) and space rollups (charts by site) at 5 minutes, an
# hour and coarser.
MIXED_READS = [
    (300, "factory"),
    (3600, "factory"),
    (21600, "factory"),
    (86400, "factory"),
    (3600, "site"),
    (86400, "site"),
]


@pytest.mark.parametrize(("interval", "group_by"), MIXED_READS)
def test_a_bucket_where_one_of_two_messages_lacks_load_average_averages_only_the_one_that_has_it(
    interval, group_by
):
    store = EmbeddedStore()
    day = T0 - T0 % 86400
    store.write(
        [
            factory_status(received=day + 10, running_processors=2, load_average=38.2),
            factory_status(received=day + 70, running_processors=4, load_average=None),
        ]
    )
    rollups.build(day + 86400 + 3600)
    assert RollupWatermark.objects.get(resolution=86400).built_until == day + 86400
    if group_by == "site":
        assert SpaceRollup.objects.filter(resolution=interval).exists()
    query = ChartQuery(
        "factory_status",
        ("load_average", "running_processors"),
        group_by,
        day,
        day + 86400 - 1,
        interval,
        stale_seconds=600,
    )
    from_rollups = {m: s.values for m, s in store.chart(query).items()}
    RollupWatermark.objects.all().delete()
    SpaceRollupWatermark.objects.all().delete()
    from_raw = {m: s.values for m, s in store.chart(query).items()}
    assert from_rollups == from_raw
    (loads,) = from_rollups["load_average"].values()
    (processors,) = from_rollups["running_processors"].values()
    assert (round(loads[0], 9), processors[0]) == (38.2, 3.0)


def test_building_again_from_a_day_recounts_rollups_the_upgrade_counted_per_message():
    store = EmbeddedStore()
    day = T0 - T0 % 86400
    store.write(
        [
            factory_status(received=day + 10, load_average=38.2),
            factory_status(received=day + 70, load_average=None),
        ]
    )
    now = day + 86400 + 3600
    rollups.build(now)
    # What migration 0020 gives a bucket built before it: every message counted.
    Rollup.objects.filter(load_average__isnull=False).update(n_load_average=2)
    rollups.build(now, start=day)
    query = ChartQuery("factory_status", ("load_average",), "factory", day, day + 86400 - 1, 86400)
    assert store.chart(query)["load_average"].values == {"f1.example.ac.uk": [38.2]}
    assert set(Rollup.objects.values_list("n_load_average", flat=True)) == {1}
