"""The future never wins: a message sent from beyond the skew window ahead is stored and
flagged, but it is not the latest state, not in CRR, and its heartbeat ages are not
charted; genuine reports before and after it keep the latest state current."""

from __future__ import annotations

import time

import pytest

from tests.builders import factory_status, machinetype_status
from vacmon.models import FactoryStatus, LatestStatus
from vacmon.publisher.inputs import site_inputs
from vacmon.store.base import Scope
from vacmon.store.embedded import EmbeddedStore
from vacmon.store.heartbeats import HEARTBEAT_FIELDS, from_messages

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("embedded_only")]

NOW = int(time.time())
# Far beyond the skew window, yet inside the year ahead the parser takes (a clock further
# ahead is refused as out_of_range before it is stored).
AHEAD = 200 * 86400


def future(**fields):
    return factory_status(received=NOW, sent=NOW + AHEAD, max_processors=999999, **fields)


def current(at: int, processors: int = 8, **fields):
    return factory_status(received=at, sent=at, max_processors=processors, **fields)


def latest_processors(store: EmbeddedStore, **kwargs) -> list[float]:
    return [m.get("max_processors") for m in store.latest("factory_status", since=0, **kwargs)]


def test_a_message_from_the_future_is_stored_flagged_but_is_not_the_latest_state():
    store = EmbeddedStore()
    store.write([current(NOW - 60)])
    store.write([future()])

    assert latest_processors(store) == [8]
    stored = FactoryStatus.objects.get(time_sent=NOW + AHEAD)
    assert stored.skewed and stored.max_processors == 999999


def test_genuine_reports_after_a_future_one_still_update_the_latest_state():
    store = EmbeddedStore()
    store.write([future()])
    assert latest_processors(store) == []  # a sender heard only from the future is not shown
    store.write([current(NOW + 1, processors=16)])
    store.write([current(NOW + 2, processors=24)])

    assert latest_processors(store) == [24]
    assert latest_processors(store, until=NOW + 10) == [24]  # the windowed read agrees


def test_a_future_row_kept_before_the_rule_gives_way_to_the_next_current_report():
    store = EmbeddedStore()
    store.write([current(NOW - 60)])
    LatestStatus.objects.update(time_sent=NOW + AHEAD, skewed=True)

    store.write([current(NOW, processors=32)])

    assert latest_processors(store) == [32]


def test_a_message_late_from_the_past_competes_as_before():
    store = EmbeddedStore()
    late = factory_status(received=NOW, sent=NOW - 3600, max_processors=4)
    assert late.skewed
    store.write([late])
    assert latest_processors(store) == [4]


def test_crr_does_not_count_a_message_from_the_future():
    store = EmbeddedStore()
    store.write([current(NOW - 60), future(), machinetype_status(received=NOW)])

    (space,) = site_inputs("EXAMPLE-SITE", since=NOW - 3600)

    assert [f.max_processors for f in space.factories] == [8]


def test_heartbeat_ages_of_a_message_from_the_future_are_not_charted():
    store = EmbeddedStore()
    beat = {field: NOW - 30 for field in HEARTBEAT_FIELDS}
    store.write([future(factory="ahead", **beat), current(NOW - 10, **beat)])
    scope = Scope(site="EXAMPLE-SITE")

    health = store.heartbeats(since=0, until=NOW + 1, interval=300, scope=scope, limit=100)
    ages = [age for row in health.ages.values() for age in row.values()]

    assert ages and max(ages) < 3600
    assert from_messages([future(**beat)], 300).ages == {}
