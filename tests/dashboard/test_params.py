from __future__ import annotations

from django.test import RequestFactory

from vacmon.dashboard.params import page_params

NOW = 1_700_000_030


def params(query: str):
    return page_params(RequestFactory().get("/" + query), now=NOW)


def test_the_default_is_the_last_day_ending_at_the_next_whole_minute():
    p = params("")
    assert p.range_key == "day"
    assert p.until == 1_700_000_040
    assert p.until - p.since == 86400
    assert p.query == ""


def test_a_preset_range_is_carried_to_linked_pages_with_the_vo():
    p = params("?range=week&vo=lhcb")
    assert p.until - p.since == 7 * 86400
    assert p.vo == "lhcb"
    assert p.query == "?range=week&vo=lhcb"


def test_a_custom_range_from_the_date_inputs_is_read_as_utc():
    p = params("?from=2023-11-14T00:00&to=2023-11-14T12:00")
    assert p.range_key == "custom"
    assert p.since == 1_699_920_000
    assert p.until == 1_699_963_200
    assert not p.is_live
    assert "from=1699920000" in p.query


def test_a_bad_range_falls_back_to_the_last_day_and_says_why():
    p = params("?from=2023-11-14T12:00&to=2023-11-14T00:00")
    assert p.range_key == "day"
    assert "from must be before to" in p.error
    assert "Unknown range" in params("?range=decade").error


def test_chart_buckets_are_never_narrower_than_five_minutes():
    assert params("?range=hour").interval == 300
    assert params("?from=2023-11-14T00:00&to=2023-11-14T01:30").interval == 300
    assert params("?range=day").interval == 900
