from __future__ import annotations

import pytest

from tests.builders import factory_status, machine_status
from vacmon.api.selectors import series
from vacmon.dashboard.settled import chart_series_many, split_history
from vacmon.store import Scope, get_store
from vacmon.store.embedded import rollups
from vacmon.timerange import TimeRange

pytestmark = pytest.mark.django_db

INTERVAL = 900


@pytest.fixture
def history(now):
    """Six hours of two factories, one of which falls silent for an hour mid-way."""
    msgs = []
    for t in range(now - 6 * 3600, now, 120):
        msgs.append(factory_status(received=t, factory="a.example", running_processors=t % 7))
        if not now - 4 * 3600 < t < now - 3 * 3600:
            msgs.append(factory_status(received=t, factory="b.example", running_processors=3))
    msgs += [machine_status(received=t, machine=f"m{t}") for t in range(now - 7200, now, 600)]
    get_store().write(msgs)
    rollups.build(now)


@pytest.mark.parametrize(("interval", "stale"), [(900, 600), (900, 1800), (300, 600), (300, 1800)])
def test_the_split_series_is_the_same_as_the_one_shot_selector(
    history, now, settings, interval, stale
):
    # A carry window wider than the buckets makes both parts of the range per-sender reads.
    settings.VACMON_STALE_SECONDS = stale
    r = TimeRange(now - 5 * 3600 - 17, now + 60, interval)
    expected = series(
        "factory_status",
        "running_processors",
        group_by="factory",
        since=r.since,
        until=r.until,
        interval=r.interval,
    )
    for _ in range(2):  # the second time the settled part comes from the cache
        (got,) = chart_series_many(
            "factory_status", ("running_processors",), "factory", Scope(), r
        ).values()
        assert got.times == expected.times
        assert got.values == expected.values
    assert None in got.values["b.example"]  # the silent hour is a gap


def test_the_split_history_is_the_newest_messages_of_the_range(history, now):
    r = TimeRange(now - 5400, now + 60, INTERVAL)
    expected = get_store().history("machine_status", since=r.since, until=r.until, limit=5)
    got = split_history("machine_status", Scope(), r, 5, ("cpu_seconds",))
    assert [m.machine for m in got] == [m.machine for m in expected]
    assert [m.get("cpu_seconds") for m in got] == [m.get("cpu_seconds") for m in expected]
    everything = split_history("machine_status", Scope(), r, 100, ())
    assert len(everything) == len(
        get_store().history("machine_status", since=r.since, until=r.until)
    )


def test_warming_fills_the_cache_the_overview_then_reads(history, now, client, settings):
    from django.core.cache import cache

    from vacmon.dashboard.warm import warm_overview

    settings.ROOT_URLCONF = "tests.dashboard.urls"
    assert warm_overview(now) == 5
    filled = len(cache._cache)  # type: ignore[attr-defined]
    assert filled > 0
    for key in ("hour", "day", "week", "month", "year"):
        assert client.get(f"/?range={key}").status_code == 200
    # Only the page-specific reads (VO choices) were added; every fleet series was a hit.
    assert len(cache._cache) - filled <= 5  # type: ignore[attr-defined]
