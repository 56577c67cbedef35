from __future__ import annotations

import json
from collections import Counter

import pytest

from factories.messages import normalise
from factories.simulate import Fleet

T0 = 1700000000
HOUR = 3600


def fleet(**kw):
    options = {"seed": 7, "sites": 3, "factories": 2, "machinetypes": 3, "start": T0}
    options.update(kw)
    return Fleet(**options)


@pytest.fixture(scope="module")
def six_hours():
    return fleet(stale_share=0.5, stale_within=3 * HOUR).advance(T0 + 6 * HOUR)


def test_the_same_seed_gives_the_same_messages():
    assert fleet().advance(T0 + HOUR) == fleet().advance(T0 + HOUR)
    assert fleet().advance(T0 + HOUR) != fleet(seed=8).advance(T0 + HOUR)


def test_the_messages_do_not_depend_on_how_time_is_sliced():
    whole = fleet().advance(T0 + 2 * HOUR)
    sliced = list(fleet().stream(T0 + 2 * HOUR, step=337))
    assert sliced == whole


def test_messages_come_in_time_order_within_the_window(six_hours):
    times = [m["time_sent"] for m in six_hours]
    assert times == sorted(times) and times[0] >= T0 and times[-1] <= T0 + 6 * HOUR


def test_every_simulated_message_passes_the_servers_parser(six_hours):
    for message in six_hours:
        normalise(json.loads(json.dumps(message)), received=message["time_sent"])


def test_each_cycle_sends_a_factory_status_and_one_per_machinetype(six_hours):
    counts = Counter(m["message_type"] for m in six_hours)
    assert counts["machinetype_status"] == 3 * counts["factory_status"]
    assert counts["machine_status"] > 0


def test_machines_finish_with_a_realistic_mix_of_shutdown_codes():
    messages = fleet(sites=4, factories=2, cycle_seconds=180).advance(T0 + 30 * HOUR)
    codes = Counter(
        m["shutdown_message"][:3] for m in messages if m["message_type"] == "machine_status"
    )
    assert set(codes) >= {"200", "300", "500", "700"}
    assert codes["300"] > codes["600"]


def test_some_factories_go_stale_and_stop_sending(six_hours):
    f = fleet(stale_share=0.5, stale_within=3 * HOUR)
    messages = f.advance(T0 + 6 * HOUR)
    stale = set(f.stale_factories())
    assert stale and stale < {s.factory for s in f.senders}
    late = {m["factory"] for m in messages if m["time_sent"] > T0 + 3 * HOUR + 300}
    assert not stale & late


def test_running_counts_change_over_time(six_hours):
    running = [m["running_processors"] for m in six_hours if m["message_type"] == "factory_status"]
    assert len(set(running)) > 5


def test_the_fleet_mixes_vac_and_vcycle_flavours():
    versions = {s.flavour.daemon for s in fleet(sites=8, factories=1).senders}
    assert versions == {"Vac", "Vcycle"}


def test_advancing_backwards_yields_nothing():
    f = fleet()
    f.advance(T0 + HOUR)
    assert f.advance(T0 + 60) == []


def test_a_fleet_refuses_an_empty_shape():
    with pytest.raises(ValueError):
        fleet(sites=0)


def test_every_live_factory_reports_its_state_as_soon_as_the_simulation_starts():
    sim = fleet(cycle_seconds=600)
    first = sim.report_now()
    factories = {m["factory"] for m in first if m["message_type"] == "factory_status"}
    assert factories == {f.spec.sender.factory for f in sim.factories}
    assert {int(m["time_sent"]) for m in first} == {T0}
    # ... and then keeps its cycle: nothing more is due until a cycle has passed.
    assert sim.advance(T0 + 599) == []
    assert sim.advance(T0 + 800)
