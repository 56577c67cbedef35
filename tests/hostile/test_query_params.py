"""Every query parameter is read strictly: a bad value is a 400 naming the parameter."""

from __future__ import annotations

from datetime import date

import pytest

from vacmon.queryparams import BadParameter, day, epoch_time, month, whole_number

pytestmark = pytest.mark.django_db

NOW = 1_700_000_000


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/sites/?from=²", "from"),
        ("/api/v1/sites/?to=99999999999999999999999", "to"),
        ("/api/v1/sites/?to=-99999999999999999999999", "to"),
        ("/api/v1/spaces/?from=%EF%BC%91", "from"),
        ("/api/v1/series/?interval=²", "interval"),
        ("/api/v1/series/?interval=59", "interval"),
        ("/api/v1/machines/?limit=²", "limit"),
        ("/api/v1/machines/?from=9999-12-31T00:00:00%2B00:00", "from"),
        ("/api/v1/machines/?from=2020-01-01T00:00:00%2B99:00", "from"),
        ("/api/v1/machines/?limit=0", "limit"),
        ("/api/v1/probes/results/?from=²", "from"),
        ("/api/v1/probes/results/?limit=99999999999999999999999", "limit"),
        ("/api/v1/probes/ar/?site=S&from=9999-12-01&to=9999-12-31", "to"),
        ("/api/v1/probes/ar/?site=S&from=9999-12-01", "from"),
        ("/api/v1/probes/ar/?site=S&from=²⁰²⁰-01-01", "from"),
        ("/api/v1/probes/ar/?site=S&period=weekly", "period"),
        ("/api/v1/probes/runner/?window=²", "window"),
        ("/api/v1/probes/timelines/?metric=m&hostname=h&flavour=VAC&to=²", "to"),
        ("/api/v1/apel/status?months=²", "months"),
    ],
)
def test_the_api_answers_a_bad_parameter_with_400_naming_it(client, url, name):
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert name in response.json(), response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/probes/ar/?month=9999-12",
        "/probes/ar/?month=²⁰²⁰-01",
        "/probes/ar/?month=2020-13",
        "/probes/ar/S/?month=0000-01",
        "/probes/ar/S/?month=9999-12",
    ],
)
def test_the_probe_pages_answer_a_bad_month_with_400_naming_it(client, url):
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert b"month" in response.content


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/sites/%00/", "path"),
        ("/sites/a/%00/a/", "path"),
        ("/vos/%00/", "path"),
        ("/crr/%00/crr.json", "path"),
        ("/probes/ar/%00/", "path"),
        ("/api/v1/sites/%00/", "path"),
        ("/?vo=%00", "vo"),
        ("/machines/?factory=a%00b", "factory"),
        ("/search/?q=%00", "q"),
        ("/probes/metric/?metric=m&site=%00", "site"),
        ("/probes/feed.xml?vo=%00", "vo"),
        ("/api/v1/sites/?site=%00", "site"),
        ("/api/v1/machines/?vo=%00", "vo"),
        ("/api/v1/series/?site=%00", "site"),
        ("/api/v1/probes/results/?site=%00", "site"),
        ("/api/v1/probes/ar/?site=%00", "site"),
    ],
)
def test_a_nul_in_the_path_or_the_query_is_a_400_naming_where(client, url, name):
    # PostgreSQL cannot compare a text column with a string holding NUL: this was a 500.
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert name.encode() in response.content


@pytest.mark.parametrize("value", ["²", "99999999999999999999999", "9999-12-31T00:00Z", "\uff11"])
def test_a_dashboard_page_shows_a_bad_time_as_an_error_on_the_default_range(client, value):
    response = client.get("/", {"from": value})
    assert response.status_code == 200
    assert "Bad time range: from" in response.content.decode()


def test_good_values_are_read():
    params = {"n": " 42 ", "t": "-60", "iso": "2023-11-14T22:13:20Z", "d": "2024-02-29"}
    assert whole_number(params, "n", 1, 1, 100) == 42
    assert epoch_time(params, "t", 0, NOW) == NOW - 60
    assert epoch_time(params, "iso", 0, NOW) == NOW
    assert day(params, "d", date(2000, 1, 1)) == date(2024, 2, 29)
    assert month({"m": "2024-02"}, "m", date(2000, 1, 1)) == date(2024, 2, 1)
    assert whole_number({}, "n", 7, 1, 100) == 7


@pytest.mark.parametrize(
    ("read", "value"),
    [
        (lambda p: whole_number(p, "x", 1, 1, 10), "11"),
        (lambda p: whole_number(p, "x", 1, 1, 10), "1.5"),
        (lambda p: epoch_time(p, "x", 0, NOW), "32503680000"),
        (lambda p: epoch_time(p, "x", 0, NOW), "2020-01-01T00:00"),
        (lambda p: epoch_time(p, "x", 0, NOW), "-" + "9" * 18),
        (lambda p: day(p, "x", date.today()), "2023-02-29"),
        (lambda p: month(p, "x", date.today()), "3000-01"),
    ],
)
def test_a_bad_value_raises_bad_parameter_with_its_name(read, value):
    with pytest.raises(BadParameter) as caught:
        read({"x": value})
    assert caught.value.name == "x" and caught.value.reason
