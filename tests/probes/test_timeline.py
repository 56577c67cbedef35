from __future__ import annotations

import pytest

from probes.operations import argo_operations
from probes.timeline import (
    Timeline,
    apply_downtimes,
    combine_timelines,
    metric_timeline,
)

H = 3600
DAY = (10 * 86400, 11 * 86400)  # some midnight-to-midnight UTC window
START, END = DAY


def test_a_day_starts_with_the_previous_days_last_result():
    timeline = metric_timeline([(START - 9 * H, "OK"), (START - H, "CRITICAL")], *DAY)
    assert timeline.state_at(START) == "CRITICAL"
    assert timeline.durations() == {"CRITICAL": 86400}


def test_a_day_without_an_earlier_result_starts_missing():
    timeline = metric_timeline([(START + 6 * H, "OK")], *DAY)
    assert timeline.segments() == [(START, START + 6 * H, "MISSING"), (START + 6 * H, END, "OK")]


def test_an_expected_metric_with_no_result_is_missing_all_day():
    assert metric_timeline([], *DAY).durations() == {"MISSING": 86400}


def test_each_result_holds_until_the_next_and_later_days_are_ignored():
    results = [(START + 2 * H, "WARNING"), (START, "OK"), (START + 3 * H, "WARNING"),
               (END + 1, "CRITICAL")]  # fmt: skip
    timeline = metric_timeline(results, *DAY)
    assert timeline.changes == ((START, "OK"), (START + 2 * H, "WARNING"))


def test_a_result_exactly_at_midnight_beats_the_previous_day():
    timeline = metric_timeline([(START - 1, "CRITICAL"), (START, "OK")], *DAY)
    assert timeline.durations() == {"OK": 86400}


def test_a_stale_result_turns_missing_after_the_limit():
    results = [(START - 600, "OK"), (START + 4 * H, "OK")]
    timeline = metric_timeline(results, *DAY, stale_after=900)
    assert timeline.segments()[:3] == [
        (START, START + 300, "OK"),
        (START + 300, START + 4 * H, "MISSING"),
        (START + 4 * H, START + 4 * H + 900, "OK"),
    ]


def test_downtime_overwrites_whatever_the_metrics_said():
    timeline = metric_timeline([(START - 1, "OK"), (START + 13 * H, "CRITICAL")], *DAY)
    down = apply_downtimes(timeline, [(START + 18 * H, END + 6 * H)], "DOWNTIME")
    assert down.segments() == [
        (START, START + 13 * H, "OK"),
        (START + 13 * H, START + 18 * H, "CRITICAL"),
        (START + 18 * H, END, "DOWNTIME"),
    ]


def test_the_state_resumes_after_a_downtime_ends():
    timeline = metric_timeline([(START - 1, "OK"), (START + 2 * H, "WARNING")], *DAY)
    down = apply_downtimes(timeline, [(START + H, START + 3 * H), (END, END + H)], "DOWNTIME")
    assert down.changes == ((START, "OK"), (START + H, "DOWNTIME"), (START + 3 * H, "WARNING"))


def test_combining_applies_the_table_at_every_change():
    ops = argo_operations()
    a = metric_timeline([(START - 1, "OK"), (START + H, "CRITICAL")], *DAY)
    b = metric_timeline([(START + 2 * H, "OK")], *DAY)
    assert combine_timelines("AND", [a, b], ops).changes == (
        (START, "MISSING"),
        (START + H, "CRITICAL"),
    )
    assert combine_timelines("OR", [a, b], ops).changes == (
        (START, "OK"),
        (START + H, "CRITICAL"),
        (START + 2 * H, "OK"),
    )


def test_combining_refuses_timelines_of_different_windows():
    ops = argo_operations()
    other = Timeline(START, END - 1, ((START, "OK"),))
    with pytest.raises(ValueError):
        combine_timelines("AND", [metric_timeline([], *DAY), other], ops)
