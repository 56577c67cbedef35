from __future__ import annotations

import random

from tests.builders import machine_status, machinetype_status
from vacmon.dashboard.lifecycles import (
    code_family,
    duration_histogram,
    family_counts,
    fill_outcomes,
)
from vacmon.store.shutdowns import Shutdown, distinct

NOW = 1_700_000_000


def test_the_code_family_is_the_hundreds_of_the_leading_code():
    assert code_family("300 Nothing to do") == "300"
    assert code_family("  712 odd") == "700"
    assert code_family("Nothing to do") == "unknown"
    assert code_family("800 not a family") == "unknown"
    assert code_family(None) == "unknown"


def test_a_vac_push_without_a_message_takes_the_outcome_its_machinetype_reported():
    pushed = machine_status(
        received=NOW,
        machine="f1-02",
        created_time=NOW - 5000,
        started_time=NOW - 4900,
        shutdown_message=None,
        shutdown_time=None,
        state="Running",
    )
    reports = [
        machinetype_status(
            received=NOW + 60 * k,
            shutdown_machine="f1-02",
            shutdown_time=NOW - 20,
            shutdown_message="700 Heartbeat file not updated",
        )
        for k in range(3)
    ]
    # The same slot name finished long before: that outcome must not be taken.
    reports.append(
        machinetype_status(
            received=NOW - 90000,
            shutdown_machine="f1-02",
            shutdown_time=NOW - 90000,
            shutdown_message="200 Success",
        )
    )
    known = distinct(reports)
    assert len(known) == 2
    (lc,) = fill_outcomes([pushed], known)
    assert lc.shutdown_message == "700 Heartbeat file not updated"
    assert lc.family == "700"


def test_a_machine_keeps_its_own_shutdown_message():
    m = machine_status(received=NOW, shutdown_message="200 Success", shutdown_time=NOW - 10)
    (lc,) = fill_outcomes([m], [])
    assert lc.shutdown_message == "200 Success"


def test_duration_and_efficiency_come_from_start_shutdown_and_cpu_time():
    m = machine_status(
        received=NOW,
        started_time=NOW - 4000,
        shutdown_time=NOW - 400,
        cpu_seconds=5400,
        num_processors=2,
    )
    (lc,) = fill_outcomes([m], [])
    assert lc.duration == 3600
    assert lc.efficiency == 75.0


def test_family_counts_list_every_family_even_when_empty():
    m = machine_status(received=NOW, shutdown_message="300 Nothing to do")
    counts = family_counts(fill_outcomes([m, m], []))
    assert counts["300"] == 2
    assert counts["100"] == 0 and counts["unknown"] == 0


def test_durations_fall_into_bands_with_an_open_last_one():
    labels, counts = duration_histogram([30, 700, 7200, 200000, None])
    assert labels[0] == "0m-10m" and labels[-1] == "48h+"
    assert counts == [1, 1, 1, 0, 0, 0, 1]


def test_the_outcome_taken_is_the_closest_in_time_within_the_machines_life():
    rng = random.Random(7)
    for _ in range(200):
        times = rng.sample(range(NOW - 20000, NOW + 8000, 7), rng.randrange(0, 12))
        known = [Shutdown("f1.example.ac.uk", "f1-02", t, f"{t} outcome") for t in times]
        m = machine_status(
            received=NOW + rng.randrange(-3000, 3000),
            machine="f1-02",
            created_time=NOW - rng.randrange(0, 15000),
            shutdown_message=None,
            shutdown_time=None,
        )
        start, end = m.get("created_time"), m.time_received + 3600
        fitting = sorted((o for o in known if start <= o.time <= end), key=lambda o: -o.time)
        expected = min(fitting, key=lambda o: abs(o.time - m.time_received), default=None)
        (lc,) = fill_outcomes([m], rng.sample(known, len(known)))
        assert lc.shutdown_message == (expected.message if expected else None)
