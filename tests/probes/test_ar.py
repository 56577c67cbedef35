from __future__ import annotations

import pytest

from probes.aggregate import (
    AggregationProfile,
    DayInputs,
    Endpoint,
    site_timelines,
)
from probes.ar import (
    UNDEFINED,
    DailyAR,
    daily_ar,
    daily_ar_sampled,
    period_ar,
    round5,
    sample_slot,
    weighted_group_value,
)
from probes.operations import argo_operations
from probes.timeline import Downtime, Timeline

H = 3600
START = 20 * 86400
END = START + 86400
HEARTBEAT = "uk.ac.gridpp.vacmon.Space-Heartbeat"
OUTCOME = "uk.ac.gridpp.vacmon.Machinetype-Outcome-/lhcb/Role=NULL"
METRICS = {"VAC": [HEARTBEAT, OUTCOME], "VCYCLE": [HEARTBEAT]}
# Spec 3.1's profile shape, with Vac and Vcycle spaces as redundant compute.
RULES = AggregationProfile.from_document(
    {
        "name": "critical", "namespace": "vacmon", "endpoint_group": "sites",
        "metric_operation": "AND", "profile_operation": "AND",
        "metric_profile": {"name": "vacmon.critical"},
        "groups": [{"name": "compute", "operation": "OR",
                    "services": [{"name": "VAC", "operation": "OR"},
                                 {"name": "VCYCLE", "operation": "OR"}]}],
    }
)  # fmt: skip
SPACE = Endpoint("vac01.example.ac.uk", "VAC")
OTHER = Endpoint("vac02.example.ac.uk", "VAC")


def at(hours: float) -> float:
    return START + hours * H


def worked_example_day() -> DayInputs:
    """Spec 3.4's day, produced by real probe results, downtime and aggregation."""
    results = {
        (SPACE, HEARTBEAT): [(at(-3), "OK"), (at(19), "CRITICAL"), (at(21), "OK")],
        (SPACE, OUTCOME): [(at(-1), "OK"), (at(18), "WARNING"), (at(19), "OK"),
                           (at(21), "UNKNOWN"), (at(22), "OK")],
        # Not in the metric profile, so it must not count.
        (SPACE, "org.example.Extra"): [(at(-1), "CRITICAL")],
    }  # fmt: skip
    downtimes = [
        Downtime(SPACE.hostname, "VAC", at(22), at(30)),
        Downtime(SPACE.hostname, "VAC", at(0), at(1), scheduled=False),
        Downtime(OTHER.hostname, "VAC", at(0), at(24)),
    ]
    return DayInputs(START, END, [SPACE], results, downtimes)


def test_it_reproduces_the_worked_example_exactly():
    timelines = site_timelines(worked_example_day(), METRICS, RULES, argo_operations())
    assert timelines.site.durations() == {
        "OK": 18 * H, "WARNING": 1 * H, "CRITICAL": 2 * H, "UNKNOWN": 1 * H, "DOWNTIME": 2 * H,
    }  # fmt: skip
    figures = daily_ar(timelines.site)
    assert figures.availability == 82.6087
    assert figures.reliability == 90.47619
    assert (figures.uptime, figures.unknown, figures.downtime) == (0.79167, 0.04167, 0.08333)


def test_the_worked_example_holds_on_the_older_288_sample_grid():
    site = site_timelines(worked_example_day(), METRICS, RULES, argo_operations()).site
    assert daily_ar_sampled(site) == daily_ar(site)


def test_an_endpoint_in_downtime_shows_downtime_although_a_metric_is_critical():
    results = {(SPACE, HEARTBEAT): [(at(-1), "OK"), (at(13), "CRITICAL")],
               (SPACE, OUTCOME): [(at(-1), "OK")]}  # fmt: skip
    day = DayInputs(START, END, [SPACE], results, [Downtime(SPACE.hostname, "VAC", at(18), END)])
    timelines = site_timelines(day, METRICS, RULES, argo_operations())
    assert timelines.metrics[(SPACE, HEARTBEAT)].state_at(at(20)) == "CRITICAL"
    assert timelines.endpoints[SPACE].segments() == [
        (START, at(13), "OK"),
        (at(13), at(18), "CRITICAL"),
        (at(18), END, "DOWNTIME"),
    ]
    figures = daily_ar(timelines.site)
    assert figures.availability == round5(100 * 13 / 24)
    assert figures.reliability == round5(100 * 13 / 18)


def test_a_redundant_instance_keeps_the_flavour_up():
    results = {
        (SPACE, HEARTBEAT): [(at(-1), "CRITICAL")],
        (SPACE, OUTCOME): [(at(-1), "OK")],
        (OTHER, HEARTBEAT): [(at(-1), "OK")],
        (OTHER, OUTCOME): [(at(-1), "OK")],
    }
    day = DayInputs(START, END, [SPACE, OTHER], results)
    timelines = site_timelines(day, METRICS, RULES, argo_operations())
    assert timelines.endpoints[SPACE].durations() == {"CRITICAL": 86400}
    assert timelines.flavours["VAC"].durations() == {"OK": 86400}
    assert "VCYCLE" not in timelines.flavours
    assert daily_ar(timelines.site).availability == 100.0


def test_a_day_with_no_results_is_missing_and_undefined():
    timelines = site_timelines(
        DayInputs(START, END, [SPACE], {}), METRICS, RULES, argo_operations()
    )
    assert timelines.site.durations() == {"MISSING": 86400}
    assert daily_ar(timelines.site) == DailyAR(0.0, 1.0, 0.0, UNDEFINED, UNDEFINED)


def test_a_site_with_nothing_in_the_profile_is_missing():
    stray = Endpoint("se.example.ac.uk", "SRMv2")
    timelines = site_timelines(
        DayInputs(START, END, [stray], {}), METRICS, RULES, argo_operations()
    )
    assert timelines.endpoints == {}
    assert timelines.site.durations() == {"MISSING": 86400}


@pytest.mark.parametrize(
    ("missing_or_downtime", "site_state", "availability", "reliability"),
    [("DOWNTIME", "DOWNTIME", 0.0, UNDEFINED), ("MISSING", "MISSING", UNDEFINED, UNDEFINED)],
)
def test_the_disputed_or_cell_decides_between_downtime_and_missing(
    missing_or_downtime, site_state, availability, reliability
):
    # One instance in downtime all day, the other never reported.
    day = DayInputs(START, END, [SPACE, OTHER], {}, [Downtime(SPACE.hostname, "VAC", START, END)])
    timelines = site_timelines(day, METRICS, RULES, argo_operations(missing_or_downtime))
    assert timelines.site.durations() == {site_state: 86400}
    figures = daily_ar(timelines.site)
    assert (figures.availability, figures.reliability) == (availability, reliability)


def test_stale_results_become_missing_when_a_limit_is_set():
    results = {(SPACE, HEARTBEAT): [(at(-1), "OK")], (SPACE, OUTCOME): [(at(-1), "OK")]}
    day = DayInputs(START, END, [SPACE], results, stale_after=2 * H)
    site = site_timelines(day, METRICS, RULES, argo_operations()).site
    assert site.segments() == [(START, at(1), "OK"), (at(1), END, "MISSING")]


def day_of(states: dict[str, float]) -> DailyAR:
    changes, clock = [], START
    for state, hours in states.items():
        changes.append((clock, state))
        clock += hours * H
    return daily_ar(Timeline.build(START, END, changes))


def test_a_month_averages_fractions_not_daily_availabilities():
    good, bad = day_of({"OK": 24}), day_of({"UNKNOWN": 12, "CRITICAL": 12})
    assert (good.availability, bad.availability) == (100.0, 0.0)
    month = period_ar([good, bad])
    assert month.availability == round5(100 * 0.5 / (1.00000001 - 0.25))
    assert month.availability != (good.availability + bad.availability) / 2


def test_a_month_of_worked_example_days_uses_the_stored_rounded_fractions():
    example = day_of({"OK": 18, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 1, "DOWNTIME": 2})
    month = period_ar([example] * 30)
    assert month.availability == round5(100 * 0.79167 / (1.00000001 - 0.04167))
    assert month.reliability == round5(100 * 0.79167 / (1.00000001 - 0.04167 - 0.08333))
    assert month.days == 30


def test_a_period_without_known_time_is_undefined_not_zero():
    month = period_ar([day_of({"MISSING": 24})] * 3)
    assert (month.availability, month.reliability) == (UNDEFINED, UNDEFINED)
    maintenance = period_ar([day_of({"DOWNTIME": 24})] * 2)
    assert (maintenance.availability, maintenance.reliability) == (0.0, UNDEFINED)
    assert period_ar([]).availability == UNDEFINED


def test_rounding_is_half_up_to_five_decimals():
    assert round5(0.123455) == 0.12346
    assert round5(2.000005) == 2.00001


@pytest.mark.parametrize(("seconds", "slot"), [(0, 0), (149, 0), (150, 1), (86399, 287)])
def test_the_older_engine_rounds_times_to_five_minute_slots(seconds, slot):
    assert sample_slot(seconds) == slot


def test_groups_of_groups_weight_members_and_skip_undefined_ones():
    assert weighted_group_value([(100.0, 9.0), (50.0, 0.0)]) == round5((100 * 10 + 50) / 11)
    assert weighted_group_value([(UNDEFINED, 100.0), (80.0, 1.0)]) == 80.0
    assert weighted_group_value([(UNDEFINED, 1.0)]) is None
