"""The embedded store's carried chart reads (sample rows from rollups and raw messages, swept
in bucket order) equal `combine` over each sender's bucket averages computed from the
messages themselves."""

from __future__ import annotations

import random

import pytest

from tests.builders import factory_status, machinetype_status
from vacmon.store import ChartQuery, Scope
from vacmon.store.base import ENTITY
from vacmon.store.embedded import EmbeddedStore, rollups
from vacmon.store.embedded.summing import sample_start
from vacmon.store.series import combine, sender_buckets

pytestmark = pytest.mark.django_db

T0 = 1_700_000_000 - 1_700_000_000 % 86400
SPAN = 4 * 3600
VOS = {"lhcb": "lhcb", "atlas-prod": "atlas", "atlas-test": "atlas"}


def uneven_fleet(rng: random.Random) -> list:
    """Senders with their own cadence (1 to 15 minutes), skipped reports, omitted metrics
    (so one sender's bucket may mix messages with and without a metric), and one that stops
    half-way."""
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


def per_sender(messages, message_type, metric, group_by, scope, *, since, until, interval, stale):
    """Each sender's bucket averages computed here from the messages themselves, over what
    the store reads for the chart (from `sample_start` on): the reference."""
    read_from = sample_start(since, stale, interval)
    cells: dict[tuple, dict[int, list[float]]] = {}
    groups: dict[tuple, str] = {}
    for m in messages:
        if m.message_type != message_type or not read_from <= m.time_received <= until:
            continue
        if any(getattr(m, name) != value for name, value in scope.terms(message_type)):
            continue
        value = m.get(metric)
        if value is None:
            continue
        sender = tuple(getattr(m, name) for name in ENTITY[message_type])
        groups[sender] = getattr(m, group_by) or "unknown"
        bucket = m.time_received - m.time_received % interval
        cells.setdefault(sender, {}).setdefault(bucket, []).append(value)
    first = since - since % interval
    return [
        sender_buckets(
            groups[sender],
            sender,
            {b: sum(vs) / len(vs) for b, vs in by_bucket.items()},
            first,
            interval,
        )
        for sender, by_bucket in cells.items()
    ]


def rounded(series):
    return {
        group: [None if v is None else round(v, 9) for v in row]
        for group, row in series.values.items()
    }


WINDOWS = ((300, 600), (300, 1000), (60, 600), (300, 0), (600, 1800))
SINCE, UNTIL = T0 + 1817, T0 + SPAN - 1


def charts(store, message_type, metrics, group_by, scope):
    """Each window's chart, rounded: (interval, stale) -> metric -> group -> row."""
    out = {}
    for interval, stale in WINDOWS:
        query = ChartQuery(
            message_type, metrics, group_by, SINCE, UNTIL, interval, scope, stale_seconds=stale
        )
        out[interval, stale] = {m: rounded(s) for m, s in store.chart(query).items()}
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("message_type", "metrics", "group_by", "scope"), CASES)
def test_a_chart_is_combine_of_each_senders_averages_computed_from_the_messages(
    seed, message_type, metrics, group_by, scope
):
    store = EmbeddedStore()
    messages = uneven_fleet(random.Random(seed))
    store.write(messages)
    for (interval, stale), got in charts(store, message_type, metrics, group_by, scope).items():
        window = dict(since=SINCE, until=UNTIL, interval=interval)
        assert set(got) == set(metrics)
        for metric in metrics:
            senders = per_sender(
                messages, message_type, metric, group_by, scope, stale=stale, **window
            )
            expected = rounded(combine(senders, stale_seconds=stale, **window))
            # `combine` gives every sender's group a row; the store only groups with a value.
            present = {g: row for g, row in expected.items() if any(v is not None for v in row)}
            assert got[metric] == present, (interval, stale, metric)
        assert any(v is not None for s in got.values() for row in s.values() for v in row)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("message_type", "metrics", "group_by", "scope"), CASES)
def test_a_chart_read_half_from_rollups_is_the_chart_read_from_raw_messages(
    seed, message_type, metrics, group_by, scope
):
    store = EmbeddedStore()
    store.write(uneven_fleet(random.Random(seed)))
    raw = charts(store, message_type, metrics, group_by, scope)
    rollups.build(T0 + SPAN // 2)
    assert charts(store, message_type, metrics, group_by, scope) == raw
