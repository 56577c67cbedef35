"""Bounds at parse time: depth and size of unknown keys, physical ranges, time windows, names."""

from __future__ import annotations

import json
import time

import pytest

from factories.messages import Rejected, normalise, parse_datagram
from factories.messages.limits import MAX_EXTRA_DEPTH, NUMBER_BOUNDS, TIME_FUTURE, TIME_PAST
from tests import samples

NOW = 1543000003


def rejection(obj: dict, received: int = NOW) -> Rejected:
    with pytest.raises(Rejected) as caught:
        normalise(obj, received=received)
    return caught.value


def factory(**changes: object) -> dict:
    return {**json.loads(samples.VAC_FACTORY), **changes}


def test_it_refuses_the_thousand_deep_datagram_of_the_issue_as_too_deep():
    now = int(time.time())
    depth = 1010
    head = b'{"message_type":"factory_status","space":"p.sp","factory":"f","time_sent":%d,"x":'
    data = head % now + b"[" * depth + b"]" * depth + b"}"
    with pytest.raises(Rejected) as caught:
        parse_datagram(data, received=now)
    assert caught.value.reason == "too_deep"
    assert caught.value.field == "x"


def test_it_keeps_unknown_keys_nested_up_to_the_limit():
    value: object = 1
    for _ in range(MAX_EXTRA_DEPTH):
        value = [value]
    assert normalise(factory(x=value), received=NOW).extra["x"] == value


def test_it_refuses_unknown_keys_nested_one_level_beyond_the_limit():
    value: object = 1
    for _ in range(MAX_EXTRA_DEPTH + 1):
        value = {"a": value}
    assert rejection(factory(x=value)).reason == "too_deep"


@pytest.mark.parametrize(
    "extra",
    [
        {"x": "y" * 10_000},
        {"x": list(range(2000))},
        {f"k{i}": 1 for i in range(100)},
        {"k" * 2000: 1},
        {"x": {"k" * 2000: 1}},
        {"x": 2**70},
    ],
    ids=["long-string", "many-values", "many-keys", "long-key", "long-inner-key", "huge-int"],
)
def test_it_refuses_unknown_keys_that_hold_too_much_as_too_large(extra):
    assert rejection(factory(**extra)).reason == "too_large"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("running_hs06", 1.7e308),
        ("max_hs06", -1.0),
        ("load_average", 1.7976931348623157e308),
        ("running_processors", 10**12),
        ("max_processors", -4),
        ("mem_total_kb", 2**62),
        ("root_disk_avail_kb", -1),
        ("running_machines", 10**9),
    ],
)
def test_it_refuses_numbers_no_factory_could_report_naming_the_field(field, value):
    found = rejection(factory(**{field: value}))
    assert (found.reason, found.field) == ("out_of_range", field)


def test_it_refuses_machine_figures_out_of_range():
    obj = json.loads(samples.VAC_MACHINE_PUSHED)
    obj["cpu_percentage"] = 1e300
    found = rejection(obj)
    assert (found.reason, found.field) == ("out_of_range", "cpu_percentage")


@pytest.mark.parametrize("value", [253402300800, 2**63 - 1, NOW + TIME_FUTURE + 1, 1])
@pytest.mark.parametrize("field", ["time_sent", "boot_time", "factory_heartbeat_time"])
def test_it_refuses_times_outside_the_window_around_the_time_received(field, value):
    found = rejection(factory(**{field: value}))
    assert (found.reason, found.field) == ("out_of_range", field)


def test_it_accepts_times_at_the_edges_of_the_window_and_zero_for_unknown():
    edges = factory(boot_time=NOW - TIME_PAST, mjf_heartbeat_time=NOW + TIME_FUTURE)
    message = normalise({**edges, "factory_heartbeat_time": 0}, received=NOW)
    assert message.get("factory_heartbeat_time") == 0


def test_time_sent_may_not_be_zero():
    assert rejection(factory(time_sent=0)).reason == "out_of_range"


def test_every_numeric_field_of_every_sample_is_within_its_bounds():
    for sample in samples.ALL:
        message = parse_datagram(sample.encode(), received=json.loads(sample)["time_sent"])
        for name, (low, high) in NUMBER_BOUNDS.items():
            value = message.get(name)
            assert value is None or low <= value <= high


@pytest.mark.parametrize(
    "name", ["UKI-NORTHGRID-MAN-HEP", "CERN-PROD", "INFN-T1", "tier2.hep.manchester.ac.uk", "T2_x"]
)
def test_it_accepts_gocdb_site_names_and_dns_names(name):
    assert normalise(factory(site=name), received=NOW).site == name


@pytest.mark.parametrize(
    "name",
    ["a/b", "%41", "a\nb", "a b", "é", "..", ".hidden", "-x", "a?b", "a#b", "<b>", "a\\b"],
)
@pytest.mark.parametrize("field", ["site", "space", "factory"])
def test_it_refuses_names_a_url_or_a_page_could_not_hold_as_bad_name(field, name):
    found = rejection(factory(**{field: name}))
    assert (found.reason, found.field) == ("bad_name", field)


def test_it_refuses_a_machinetype_with_a_slash():
    obj = json.loads(samples.VAC_MACHINETYPE)
    obj["machinetype"] = "lhcb/prod"
    assert rejection(obj).reason == "bad_name"


def test_a_machine_may_be_an_htcondor_slot_but_not_hold_a_slash():
    obj = json.loads(samples.VAC_MACHINE_PUSHED)
    obj["machine"] = "slot1_2@wn01.example.org"
    assert normalise(obj, received=NOW).machine == "slot1_2@wn01.example.org"
    obj["machine"] = "slot1/2@wn01"
    assert rejection(obj).reason == "bad_name"


def test_the_site_fallback_from_a_bad_space_is_refused_too():
    obj = factory(space="vac01.a/b")
    del obj["site"]
    assert rejection(obj).reason == "bad_name"
