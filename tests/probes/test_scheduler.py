from __future__ import annotations

import itertools

import pytest

from probes.scheduler import Lateness, ScheduledTarget, Scheduler, phase_fraction


def targets(count: int, interval: float = 300.0) -> list[ScheduledTarget]:
    return [ScheduledTarget(f"factory-{i}", interval) for i in range(count)]


def test_it_spreads_targets_over_the_interval():
    scheduler = Scheduler()
    scheduler.add_all(targets(3000), now=0)
    per_minute = [len(scheduler.due(60 * (m + 1))) for m in range(5)]
    assert sum(per_minute) == 3000
    # Hash phases are uniform: each minute gets about a fifth.
    assert all(500 < n < 700 for n in per_minute)


def test_without_jitter_every_target_is_due_together():
    scheduler = Scheduler(jitter=0)
    scheduler.add_all(targets(50), now=0)
    assert len(scheduler.due(0)) == 50
    assert scheduler.due(299) == []
    assert {run.due_at for run in scheduler.due(300)} == {300}


def test_each_target_is_due_once_per_interval_at_a_stable_offset():
    scheduler = Scheduler()
    target = ScheduledTarget("space-a", 600)
    scheduler.add(target, now=1000)
    offset = scheduler.offset(target)
    runs = [run for t in range(1000, 4000, 7) for run in scheduler.due(t)]
    assert [run.due_at % 600 for run in runs] == pytest.approx([offset] * len(runs))
    assert [b.due_at - a.due_at for a, b in itertools.pairwise(runs)] == [600] * 4


def test_the_phase_survives_a_restart_and_depends_on_the_seed():
    assert phase_fraction("x") == phase_fraction("x")
    assert phase_fraction("x", "a") != phase_fraction("x", "b")
    first, second = Scheduler(), Scheduler()
    first.add(ScheduledTarget("x", 300), 0)
    second.add(ScheduledTarget("x", 300), 12345)
    assert (first.next_due() or 0) % 300 == pytest.approx((second.next_due() or 0) % 300)


def test_a_run_missed_by_more_than_an_interval_is_skipped_not_replayed():
    scheduler = Scheduler(jitter=0)
    scheduler.add(ScheduledTarget("x", 300), now=0)
    assert [run.due_at for run in scheduler.due(1000)] == [0]
    assert scheduler.skipped == 3
    assert scheduler.next_due() == 1200


def test_removed_targets_are_not_returned():
    scheduler = Scheduler()
    scheduler.add_all(targets(10), 0)
    scheduler.remove("factory-3")
    assert len(scheduler) == 9
    assert "factory-3" not in {run.key for run in scheduler.due(300)}


def test_the_limit_caps_one_batch():
    scheduler = Scheduler(jitter=0)
    scheduler.add_all(targets(10), 0)
    assert len(scheduler.due(0, limit=4)) == 4
    assert len(scheduler.due(0)) == 6


def test_it_refuses_bad_settings():
    with pytest.raises(ValueError):
        ScheduledTarget("x", 0)
    with pytest.raises(ValueError):
        Scheduler(jitter=2)
    scheduler = Scheduler()
    scheduler.add(ScheduledTarget("x", 5), 0)
    with pytest.raises(ValueError):
        scheduler.add(ScheduledTarget("x", 5), 0)


def test_lateness_percentiles_use_nearest_rank():
    lateness = Lateness()
    for late in range(1, 101):
        lateness.record(due_at=1000, started_at=1000 + late)
    lateness.record(due_at=1000, started_at=999)  # early starts count as on time
    assert (lateness.percentile(50), lateness.percentile(95), lateness.maximum) == (50, 95, 100)
    assert len(lateness) == 101
    assert Lateness().percentile(95) == 0.0
