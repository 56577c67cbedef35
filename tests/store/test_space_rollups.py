from __future__ import annotations

import random

import pytest

from tests.builders import factory_status, machinetype_status
from vacmon.models import SpaceRollup, SpaceRollupWatermark
from vacmon.store import ChartQuery, Scope
from vacmon.store.embedded import EmbeddedStore, rollups, space_rollups
from vacmon.store.summed import covers
from vacmon.timerange import MAX_SPAN, pick_interval

pytestmark = pytest.mark.django_db

DAY = 86400
T0 = 1_700_000_000 - 1_700_000_000 % DAY
SPACES = [("SITE-A", "vac1.a"), ("SITE-A", "vac2.a"), ("SITE-B", "vac1.b")]
MACHINETYPES = {"lhcb": "lhcb", "atlas-prod": "atlas", "atlas-test": "atlas"}


def fleet(rng: random.Random) -> list:
    """A day of uneven reports: senders skip reports, leave mid-bucket, omit metrics."""
    out = []
    for site, space in SPACES:
        for f in range(2):
            factory = f"f{f}.{space}"
            for t in range(T0, T0 + DAY, 300):
                if rng.random() < 0.2 or (f == 1 and t > T0 + DAY // 2 + 5000):
                    continue
                received = t + rng.randrange(300)
                load = None if rng.random() < 0.1 else rng.random() * 40
                out.append(
                    factory_status(
                        received=received,
                        site=site,
                        space=space,
                        factory=factory,
                        running_processors=rng.randrange(64),
                        load_average=load,
                    )
                )
                for mt, vo in MACHINETYPES.items():
                    out.append(
                        machinetype_status(
                            received=received,
                            site=site,
                            space=space,
                            factory=factory,
                            machinetype=mt,
                            fqan=f"/{vo}/Role=NULL/Capability=NULL",
                            running_processors=rng.randrange(20),
                        )
                    )
    return out


def sums(store: EmbeddedStore, message_type: str, metric: str, **query) -> dict:
    """group -> bucket -> the chart's value, where it has one."""
    (series,) = store.chart(
        ChartQuery(message_type, (metric,), stale_seconds=600, **query)
    ).values()
    return {
        group: {t: round(v, 9) for t, v in zip(series.times, row, strict=True) if v is not None}
        for group, row in series.values.items()
    }


CASES = [
    ("factory_status", "running_processors", "site", Scope()),
    ("factory_status", "load_average", "space", Scope(site="SITE-A")),
    ("machinetype_status", "running_processors", "vo", Scope()),
    ("machinetype_status", "running_processors", "site", Scope(vo="atlas")),
    ("machinetype_status", "running_processors", "machinetype", Scope(site="SITE-A")),
]


@pytest.mark.parametrize(("message_type", "metric", "group_by", "scope"), CASES)
def test_space_rollups_give_exactly_the_sums_of_the_per_sender_rollups(
    message_type, metric, group_by, scope
):
    store = EmbeddedStore()
    store.write(fleet(random.Random(5)))
    rollups.build(T0 + DAY + 3600)
    for interval in (900, 3600, 7200, 21600):
        query = dict(group_by=group_by, since=T0, until=T0 + DAY - 1, interval=interval)
        assert space_rollups.watermark(interval) >= T0 + DAY
        summed = sums(store, message_type, metric, scope=scope, **query)
        with_marks = list(SpaceRollupWatermark.objects.all())
        SpaceRollupWatermark.objects.all().delete()
        per_sender = sums(store, message_type, metric, scope=scope, **query)
        SpaceRollupWatermark.objects.bulk_create(with_marks)
        assert summed == per_sender
        assert len(summed) >= 2
        assert max(len(v) for v in summed.values()) == DAY // interval


def test_buckets_after_the_space_watermark_come_from_the_newest_messages():
    store = EmbeddedStore()
    store.write([factory_status(received=T0 + 10, running_processors=2)])
    rollups.build(T0 + 3 * 3600)
    assert space_rollups.watermark(3600) == T0 + 2 * 3600
    # Received after the rollups were built, as the newest messages always are.
    store.write([factory_status(received=T0 + 3 * 3600 + 5, running_processors=9)])
    got = sums(
        store,
        "factory_status",
        "running_processors",
        group_by="site",
        since=T0,
        until=T0 + 4 * 3600 - 1,
        interval=3600,
    )
    assert got == {"EXAMPLE-SITE": {T0: 2.0, T0 + 3 * 3600: 9.0}}


def test_charts_of_one_factory_do_not_read_space_rollups():
    assert not covers("site", 3600, Scope(factory="f1"))
    assert not covers("factory", 3600, Scope())
    assert not covers("site", 300, Scope())
    assert covers("vo", 21600, Scope(site="S", vo="lhcb"))


def test_rebuilding_space_rollups_replaces_rather_than_adds():
    store = EmbeddedStore()
    store.write([factory_status(received=T0 + 10, running_processors=2)])
    rollups.build(T0 + DAY + 3600)
    rollups.build(T0 + DAY + 3600, start=T0)
    row = SpaceRollup.objects.get(resolution=DAY, message_type="factory_status")
    assert (row.bucket, row.running_processors) == (T0, 2.0)


def test_purging_old_rollups_purges_space_rollups_too():
    store = EmbeddedStore()
    store.write([factory_status(received=T0 + 10, running_processors=2)])
    rollups.build(T0 + DAY + 3600)
    assert SpaceRollup.objects.exists()
    rollups.purge(before=T0 + DAY + 3600)
    assert not SpaceRollup.objects.exists()


def test_every_interval_a_range_longer_than_ten_hours_is_charted_at_has_space_rollups():
    spans = [36001 + k * 3600 for k in range((MAX_SPAN - 36001) // 3600 + 1)] + [MAX_SPAN]
    picked = {pick_interval(span) for span in spans}
    assert picked == set(space_rollups.RESOLUTIONS)
