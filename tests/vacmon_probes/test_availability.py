"""A/R from stored results: the spec's worked example, downtimes and MISSING (spec 3.3, 3.4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.vacmon_probes.helpers import result
from vacmon.models import Downtime, ProbeDefinition, ProbeEndpoint, ProbeResult, SiteAvailability
from vacmon.probes import availability, service

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
START = int(datetime(2026, 3, 10, tzinfo=UTC).timestamp())
HOUR = 3600


def heartbeat() -> ProbeDefinition:
    return ProbeDefinition.objects.get(metric="uk.ac.gridpp.vacmon.Space-Heartbeat")


def every_five_minutes(states: list[tuple[float, float, str]], **where) -> None:
    """Store a result every 5 min, as the 300 s probe would, for each (from h, to h, state)."""
    definition = heartbeat()
    rows = [result(START - 300, states[0][2], definition=definition, **where)]
    for first, last, state in states:
        for when in range(START + int(first * HOUR), START + int(last * HOUR), 300):
            rows.append(result(when, state, definition=definition, **where))
    ProbeResult.objects.bulk_create(rows)


def downtime(first: float, last: float, kind: str = "scheduled", host="vac01.example.ac.uk"):
    at = datetime.fromtimestamp(START, UTC)
    Downtime.objects.create(
        hostname=host,
        flavour="VAC",
        classification=kind,
        start=at + timedelta(hours=first),
        end=at + timedelta(hours=last),
    )


def test_the_worked_example_gives_the_specs_figures():
    # OK 18 h, WARNING 1 h, CRITICAL 2 h, UNKNOWN 1 h, then 2 h of scheduled downtime.
    every_five_minutes(
        [
            (0, 18, "OK"),
            (18, 19, "WARNING"),
            (19, 21, "CRITICAL"),
            (21, 22, "UNKNOWN"),
            (22, 24, "OK"),
        ]
    )
    downtime(22, 24)
    ar = availability.site_day("EXAMPLE-SITE", DAY).ar
    assert ar.availability == 82.6087
    assert ar.reliability == 90.47619
    assert (ar.uptime, ar.unknown, ar.downtime) == (0.79167, 0.04167, 0.08333)


def test_downtime_overrides_a_critical_endpoint():
    # argo-streaming's fixture: CRITICAL from 13:00, DOWNTIME from 18:00 whatever it says.
    every_five_minutes([(0, 13, "OK"), (13, 24, "CRITICAL")])
    downtime(18, 24)
    day = availability.site_day("EXAMPLE-SITE", DAY)
    assert day.timelines.site.state_at(START + 20 * HOUR) == "DOWNTIME"
    assert day.ar.availability == 54.16667
    assert day.ar.reliability == 72.22222


def test_unscheduled_downtime_does_not_count():
    every_five_minutes([(0, 13, "OK"), (13, 24, "CRITICAL")])
    downtime(18, 24, kind="unscheduled")
    ar = availability.site_day("EXAMPLE-SITE", DAY).ar
    assert ar.availability == ar.reliability == 54.16667


def test_a_probe_that_stops_reporting_turns_missing_after_twice_its_interval():
    every_five_minutes([(0, 12, "OK")])
    day = availability.site_day("EXAMPLE-SITE", DAY)
    last = START + 12 * HOUR - 300
    assert day.timelines.site.state_at(last + 2 * 300 + 300 - 1) == "OK"
    assert day.timelines.site.state_at(last + 2 * 300 + 300) == "MISSING"
    assert day.ar.availability == 100.0
    assert day.ar.unknown == round((24 * HOUR - (12 * HOUR + 600)) / 86400, 5)


@pytest.mark.parametrize(
    ("variant", "expected"), [("DOWNTIME", (0.0, -1.0)), ("MISSING", (-1.0, -1.0))]
)
def test_the_missing_or_downtime_cell_follows_the_setting(settings, variant, expected):
    # Two redundant VAC spaces: one in downtime all day, the other never reported.
    settings.VACMON_ARGO_MISSING_OR_DOWNTIME = variant
    every_five_minutes([(0, 24, "OK")])
    downtime(-1, 25)
    ProbeEndpoint.objects.create(hostname="vac02.example.ac.uk", flavour="VAC", site="EXAMPLE-SITE")
    ar = availability.site_day("EXAMPLE-SITE", DAY).ar
    assert (ar.availability, ar.reliability) == expected


def test_a_site_without_any_result_is_undefined_not_zero():
    ProbeEndpoint.objects.create(hostname="vac02.example.ac.uk", flavour="VAC", site="QUIET-SITE")
    ar = availability.site_day("QUIET-SITE", DAY).ar
    assert (ar.availability, ar.reliability, ar.unknown) == (-1.0, -1.0, 1.0)


def test_the_daily_task_stores_yesterdays_figures_per_site():
    every_five_minutes(
        [
            (0, 18, "OK"),
            (18, 19, "WARNING"),
            (19, 21, "CRITICAL"),
            (21, 22, "UNKNOWN"),
            (22, 24, "OK"),
        ]
    )
    downtime(22, 24)
    ProbeEndpoint.objects.create(hostname="vac02.example.ac.uk", flavour="VAC", site="QUIET-SITE")
    now = datetime.fromtimestamp(START + 86400 + 1800, UTC)
    assert service.store_yesterday(now) == 2
    stored = {row.site: row for row in SiteAvailability.objects.filter(day=DAY)}
    assert stored["EXAMPLE-SITE"].availability == 82.6087
    assert stored["EXAMPLE-SITE"].variant == "DOWNTIME"
    assert stored["QUIET-SITE"].availability == -1.0
    # Run again (the task is hourly): the figures are replaced, not duplicated.
    service.store_yesterday(now)
    assert SiteAvailability.objects.filter(day=DAY).count() == 2


def test_monthly_figures_come_from_mean_fractions_not_mean_availability():
    every_five_minutes(
        [
            (0, 18, "OK"),
            (18, 19, "WARNING"),
            (19, 21, "CRITICAL"),
            (21, 22, "UNKNOWN"),
            (22, 24, "OK"),
        ]
    )
    downtime(22, 24)
    figures = availability.daily_figures("EXAMPLE-SITE", DAY, DAY + timedelta(days=1))
    # Day two: the 23:55 result holds until it goes stale at 00:10, then MISSING all day.
    assert [f.ar.availability for f in figures] == [82.6087, 100.0]
    assert [f.ar.uptime for f in figures] == [0.79167, 0.00694]
    assert [f.ar.unknown for f in figures] == [0.04167, 0.99306]
    ((month, period),) = availability.monthly(figures)
    assert month == "2026-03"
    assert period.days == 2
    # 100 * mean(up) / (1.00000001 - mean(unknown)) = 100 * 0.399305 / 0.48263501, far
    # from the mean of the daily A values (91.30435).
    assert period.availability == 82.73436
    # R also takes the mean downtime, 0.041665, out of the denominator.
    assert period.reliability == 90.55151
