"""Per-group sums carried forward in the database equal `combine` over per-sender buckets."""

from __future__ import annotations

import random

import pytest

from tests.builders import factory_status, machinetype_status
from vacmon.store import Scope
from vacmon.store.embedded import EmbeddedStore, rollups
from vacmon.store.series import combine

pytestmark = pytest.mark.django_db

T0 = 1_700_000_000 - 1_700_000_000 % 86400
SPAN = 4 * 3600
VOS = {"lhcb": "lhcb", "atlas-prod": "atlas", "atlas-test": "atlas"}


def uneven_fleet(rng: random.Random) -> list:
    """Senders with their own cadence (1 to 15 minutes), skipped reports, omitted metrics,
    and one that stops half-way."""
    out = []
    for f in range(6):
        site, factory = f"SITE-{f % 2}", f"f{f}.example"
        cadence = rng.choice((60, 180, 300, 420, 900))
        for t in range(T0 + rng.randrange(cadence), T0 + SPAN, cadence):
            if rng.random() < 0.25 or (f == 5 and t > T0 + SPAN // 2):
                continue
            load = None if rng.random() < 0.2 else rng.random() * 40
            out.append(
                factory_status(
                    received=t,
                    site=site,
                    factory=factory,
                    running_processors=rng.randrange(64),
                    load_average=load,
                )
            )
            for mt, vo in VOS.items():
                if rng.random() < 0.8:
                    out.append(
                        machinetype_status(
                            received=t,
                            site=site,
                            factory=factory,
                            machinetype=mt,
                            fqan=f"/{vo}/Role=NULL/Capability=NULL",
                            running_processors=rng.randrange(20),
                            running_hs06=None if rng.random() < 0.3 else rng.random() * 100,
                        )
                    )
    return out


CASES = [
    ("factory_status", ("running_processors", "load_average"), "site", Scope()),
    ("factory_status", ("running_processors",), "factory", Scope(site="SITE-1")),
    ("machinetype_status", ("running_processors", "running_hs06"), "vo", Scope()),
    ("machinetype_status", ("running_hs06",), "machinetype", Scope(vo="atlas")),
]


def charted(store, message_type, metrics, group_by, scope, *, interval, stale, per_group):
    since, until = T0 + 1817, T0 + SPAN - 1
    read = store.entity_buckets_many(
        message_type,
        metrics,
        group_by=group_by,
        since=since,
        until=until,
        interval=interval,
        scope=scope,
        lookback=stale,
        per_group=per_group,
    )
    out = {}
    for metric in metrics:
        series = combine(
            read[metric], since=since, until=until, interval=interval, stale_seconds=stale
        )
        out[metric] = {
            group: [None if v is None else round(v, 9) for v in row]
            for group, row in series.values.items()
        }
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("message_type", "metrics", "group_by", "scope"), CASES)
def test_sums_carried_in_the_database_are_what_combine_makes_of_each_sender(
    seed, message_type, metrics, group_by, scope
):
    store = EmbeddedStore()
    store.write(uneven_fleet(random.Random(seed)))
    rollups.build(T0 + SPAN // 2)  # half from rollups, half from raw messages
    for interval, stale in ((300, 600), (300, 1000), (60, 600), (300, 0), (600, 1800)):
        each = dict(interval=interval, stale=stale)
        expected = charted(store, message_type, metrics, group_by, scope, **each, per_group=False)
        got = charted(store, message_type, metrics, group_by, scope, **each, per_group=True)
        assert got == expected, (interval, stale)
        assert any(v is not None for rows in got.values() for row in rows.values() for v in row)
