from __future__ import annotations

import re

from vacmon.dashboard import axes
from vacmon.dashboard.charts import Chart, Svg, bars, fold_groups, render, runs, stack, sum_values

T0 = 1_700_000_000 - 1_700_000_000 % 3600
TIMES = [T0 + k * 300 for k in range(6)]


def polygons(svg: str) -> list[str]:
    return re.findall(r'<polygon class="area" points="([^"]+)"', svg)


def test_a_group_without_data_adds_nothing_to_the_groups_above_it():
    cells = stack({"a": [1.0, None, 1.0], "b": [2.0, 2.0, 2.0]})
    assert cells["a"] == [(0.0, 1.0), None, (0.0, 1.0)]
    assert cells["b"] == [(1.0, 3.0), (0.0, 2.0), (1.0, 3.0)]


def test_runs_are_the_stretches_between_gaps():
    assert runs([1, None, None, 2, 3, None, 4]) == [(0, 0), (3, 4), (6, 6)]
    assert runs([None, None]) == []


def test_a_gap_splits_an_area_into_two_shapes_and_is_shaded_as_no_data():
    svg = render(Chart("t", TIMES, 300, stacked={"lhcb": [1.0, 2.0, None, None, 3.0, 3.0]}))
    assert len(polygons(svg)) == 2
    assert svg.count('class="nodata"') == 1


def test_zero_is_drawn_as_a_value_not_as_a_gap():
    svg = render(Chart("t", TIMES, 300, stacked={"lhcb": [0.0] * 6}))
    assert len(polygons(svg)) == 1
    assert 'class="nodata"' not in svg


def test_a_lone_bucket_between_gaps_is_drawn_one_bucket_wide():
    svg = render(Chart("t", TIMES, 300, stacked={"x": [None, None, 5.0, None, None, None]}))
    (points,) = polygons(svg)
    xs = sorted({float(p.split(",")[0]) for p in points.split()})
    assert len(xs) == 2 and xs[1] > xs[0]


def test_lines_are_overlaid_with_their_own_gaps():
    svg = render(
        Chart("t", TIMES, 300, stacked={"a": [1.0] * 6}, lines={"Max": [4, 4, None, 4, 4, 4]})
    )
    assert svg.count('<polyline class="line"') == 2


def test_message_text_in_titles_and_legends_is_escaped():
    hostile = "<script>alert(1)</script>"
    svg = render(
        Chart(hostile, TIMES, 300, stacked={hostile: [1.0] * 6}, links={hostile: '/x?a="b"'})
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert 'href="/x?a=&quot;b&quot;"' in svg


def test_the_svg_tells_django_it_is_already_escaped():
    svg = render(Chart("t", TIMES, 300))
    assert isinstance(svg, Svg)
    assert svg.__html__() == str(svg)
    assert "no data in this range" in svg


def test_many_groups_fold_into_other_keeping_the_largest():
    groups = {f"g{k}": [float(k), None] for k in range(12)}
    folded = fold_groups(groups, keep=4)
    assert list(folded) == ["g11", "g10", "g9", "other (9)"]
    assert folded["other (9)"] == [sum(range(9)), None]


def test_sums_are_gaps_only_where_every_row_is():
    assert sum_values([[1.0, None, None], [2.0, 3.0, None]]) == [3.0, 3.0, None]


def test_stale_legend_entries_are_marked():
    svg = render(Chart("t", TIMES, 300, stacked={"f1": [1.0] * 6}, highlight={"f1"}))
    assert 'class="legend stale"' in svg and "f1 (stale)" in svg


def test_axis_tops_and_steps_are_round_numbers():
    assert axes.nice_ceiling(0) == 1.0
    assert axes.nice_ceiling(7.3) == 8.0
    assert axes.nice_ceiling(1234) == 1500.0
    assert axes.nice_step(0.3) == 0.5


def test_tick_labels_are_compact():
    assert axes.compact(1500) == "1.5k"
    assert axes.compact(2_000_000) == "2M"
    assert axes.compact(0.25) == "0.25"
    assert axes.compact(0) == "0"


def test_time_ticks_are_in_utc_with_the_date_where_it_changes():
    midnight = 1_700_006_400 - 1_700_006_400 % 86400  # a UTC midnight
    ticks = axes.time_ticks(midnight - 3 * 3600, midnight + 3 * 3600)
    labels = dict(zip(ticks, axes.tick_labels(ticks), strict=True))
    assert labels[midnight][0] == "00:00"
    assert labels[midnight][1] != ""
    assert labels[midnight - 3600] == ("23:00", "")


def test_bars_draw_one_rectangle_per_category():
    svg = bars("codes", ["200", "300", "<b>"], [3, 0, 1])
    assert svg.count('<rect class="bar"') == 3
    assert "<b>" not in svg
