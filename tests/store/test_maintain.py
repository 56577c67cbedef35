"""The writer's periodic upkeep: `maintain(now)` on every backend, and what the embedded
store does in it (rollups, then retention)."""

from __future__ import annotations

import pytest

from tests.builders import factory_status, machinetype_status
from vacmon.models import LatestStatus, Rollup, RollupWatermark, SpaceRollup
from vacmon.store import ChartQuery, Scope, get_store
from vacmon.store.embedded import EmbeddedStore

DAY = 86400
NOW = 1_700_000_000 - 1_700_000_000 % 3600


def chart(store) -> dict:
    query = ChartQuery(
        "factory_status",
        ("running_processors",),
        "factory",
        NOW - 3600,
        NOW - 1,
        300,
        stale_seconds=600,
    )
    return store.chart(query)["running_processors"].values


def test_maintenance_keeps_every_message_within_retention_and_the_charts_they_draw(store):
    store.write(
        [
            factory_status(received=NOW - 3000, running_processors=2),
            factory_status(received=NOW - 1000, running_processors=4),
            factory_status(received=NOW - 900, factory="f2.example", running_processors=7),
        ]
    )
    before = chart(store)
    assert before["f1.example.ac.uk"][:4] == [None, None, 2.0, 2.0]

    store.maintain(NOW)
    store.maintain(NOW)  # each run picks up where the last stopped

    assert chart(store) == before
    assert len(store.history("factory_status", since=0, until=NOW)) == 3
    assert {f.factory for f in store.factories(since=0)} == {"f1.example.ac.uk", "f2.example"}


@pytest.mark.django_db
def test_embedded_maintenance_builds_the_rollups_then_purges_past_each_retention(
    embedded_only, settings
):
    settings.VACMON_RAW_RETENTION_DAYS = 2
    settings.VACMON_ROLLUP_RETENTION_DAYS = 5
    store = EmbeddedStore()
    store.write(
        [
            factory_status(received=NOW - 6 * DAY, factory="oldest.example"),
            factory_status(received=NOW - 3 * DAY, factory="old.example"),
            factory_status(received=NOW - 600, running_processors=3),
            machinetype_status(received=NOW - 600),
        ]
    )
    store.maintain(NOW)

    # The rollups reach the last complete 5-minute bucket before the grace period.
    assert RollupWatermark.objects.get(resolution=300).built_until == NOW - 300
    kept = store.history("factory_status", since=0, until=NOW)
    assert [m.factory for m in kept] == ["f1.example.ac.uk"]
    assert not LatestStatus.objects.filter(factory__in=["old.example", "oldest.example"])
    rolled = set(Rollup.objects.values_list("factory", flat=True))
    # Raw messages go after 2 days; their rollups stay for 5.
    assert rolled == {"old.example", "f1.example.ac.uk"}
    assert not SpaceRollup.objects.filter(bucket__lt=NOW - 5 * DAY).exists()
    assert SpaceRollup.objects.filter(bucket__lt=NOW - 2 * DAY).exists()


@pytest.mark.django_db
def test_the_scheduled_task_maintains_the_configured_store(embedded_only, monkeypatch):
    from vacmon import tasks

    get_store().write([factory_status(received=NOW - 600, running_processors=3)])
    monkeypatch.setattr(tasks.time, "time", lambda: NOW + 0.5)

    tasks.maintain_store()

    assert RollupWatermark.objects.get(resolution=300).built_until == NOW - 300
    assert get_store().latest("factory_status", since=0, scope=Scope(site="EXAMPLE-SITE"))
