"""Formatting, axes and charts take any stored number or time without raising."""

from __future__ import annotations

import json
import math

import pytest

from vacmon.api.renderers import FiniteJSONRenderer, finite
from vacmon.dashboard import axes, charts, fmt

FAR = (253402300800, 2**63 - 1, -(2**63) + 1, 10**30)


@pytest.mark.parametrize("t", FAR)
def test_a_time_no_calendar_holds_prints_as_far_instead_of_raising(t):
    assert fmt.utc(t) in (fmt.FAR, fmt.PAST)
    assert fmt.utc_input(t) == ""
    assert fmt.moment(t) is None
    assert fmt.age_since(t, 1_700_000_000)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1.7e308])
def test_numbers_print_whatever_they_are(value):
    assert fmt.number(value) and fmt.number(value, 2) and fmt.kib_as_gib(value)
    assert fmt.age(value)


@pytest.mark.parametrize("top", [math.inf, math.nan, 1.7976931348623157e308, 3.4e308])
def test_an_axis_finds_a_finite_round_top_for_any_value(top):
    ceiling = axes.nice_ceiling(top)
    assert math.isfinite(ceiling) and ceiling > 0
    assert math.isfinite(axes.nice_step(top))


def test_tick_labels_beyond_the_calendar_are_blank():
    assert axes.tick_labels([2**62, 2**62 + 3600]) == [("", ""), ("", "")]


def test_a_chart_of_sums_that_overflowed_draws_finite_coordinates():
    svg = charts.render(
        charts.Chart(
            title="hs06",
            times=[0, 300, 600],
            interval=300,
            stacked={"a": [1.7e308, math.inf, None], "b": [1.7e308, 1.0, math.nan]},
            lines={"max": [math.inf, 1e308, 2.0]},
        )
    )
    assert "inf" not in svg and "nan" not in svg
    assert "<polygon" in svg or "<polyline" in svg


def test_bars_of_huge_counts_render():
    assert "<rect" in charts.bars("codes", ["a", "b"], [math.inf, 1.7e308])


def test_the_api_renders_a_non_finite_number_as_null():
    data = {"total": math.inf, "rows": [{"x": -math.inf, "y": math.nan, "z": 1.5}]}
    body = json.loads(FiniteJSONRenderer().render(data))
    assert body == {"total": None, "rows": [{"x": None, "y": None, "z": 1.5}]}
    assert finite((1.0, math.inf)) == [1.0, None]
