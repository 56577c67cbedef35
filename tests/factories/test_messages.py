from __future__ import annotations

import json

import pytest

from factories.messages import Rejected, normalise, parse_datagram
from tests import samples

NOW = 1543000003


def parse(text: str | bytes, received: int = NOW):
    data = text.encode() if isinstance(text, str) else text
    return parse_datagram(data, received=received)


@pytest.mark.parametrize("sample", samples.ALL)
def test_it_accepts_every_sample_the_real_senders_emit(sample):
    message = parse(sample)
    assert message.message_type == json.loads(sample)["message_type"]
    assert message.site and message.space and message.factory


def test_it_folds_legacy_factory_aliases_into_modern_names():
    message = parse(samples.LEGACY_FACTORY)
    assert message.get("daemon_version") == "Vac 01.00.01 vacd-factory"
    assert message.get("running_processors") == 12
    assert message.get("max_processors") == 16
    assert message.get("max_hs06") == 160.0
    assert message.get("daemon_disk_avail_kb") == 104857600
    assert message.get("daemon_disk_avail_inodes") == 6553600
    assert "method" not in message.extra and "total_cpus" not in message.extra


def test_it_maps_a_lone_max_cpus_to_max_processors():
    obj = json.loads(samples.LEGACY_FACTORY)
    del obj["total_cpus"]
    assert normalise(obj, received=NOW).get("max_processors") == 16


def test_it_keeps_the_modern_value_when_both_names_are_present():
    obj = json.loads(samples.VAC_FACTORY)
    obj["total_cpus"] = 99
    assert normalise(obj, received=NOW).get("max_processors") == 8


def test_it_folds_legacy_machinetype_aliases():
    message = parse(samples.LEGACY_MACHINETYPE)
    assert message.get("running_processors") == 12
    assert message.get("running_machines") == 12
    assert message.vo == "lhcb"


def test_it_coerces_integral_float_counts_to_int():
    message = parse(samples.VAC_MASTER_MACHINETYPE)
    assert message.get("running_processors") == 2
    assert isinstance(message.get("running_processors"), int)


def test_it_derives_the_vo_from_the_fqan():
    assert parse(samples.VAC_MACHINETYPE).vo == "lhcb"
    assert parse(samples.VAC_MACHINE_PUSHED).vo == "atlas"


def test_a_vcycle_machine_has_no_fqan_and_no_vo():
    assert parse(samples.VCYCLE_MACHINE).vo is None


def test_it_accepts_nulls_for_optional_fields():
    obj = json.loads(samples.VCYCLE_FACTORY)
    obj.update(max_processors=None, max_machines=None, load_average=None)
    message = normalise(obj, received=NOW)
    assert message.get("max_processors") is None


def test_it_accepts_the_literal_backslash_s_os_issue():
    obj = json.loads(samples.VCYCLE_FACTORY)
    obj["os_issue"] = "\\S"
    assert normalise(obj, received=NOW).get("os_issue") == "\\S"


def test_it_keeps_a_lying_running_state_as_sent():
    assert parse(samples.VAC_MACHINE_PUSHED).get("state") == "Running"


def test_it_keeps_unknown_keys_as_raw_json():
    obj = json.loads(samples.VAC_FACTORY)
    obj["gpu_count"] = {"nvidia": 2}
    assert normalise(obj, received=NOW).extra == {"gpu_count": {"nvidia": 2}}


def test_it_derives_the_site_from_the_space_when_none_is_sent():
    obj = json.loads(samples.VAC_FACTORY)
    del obj["site"]
    assert normalise(obj, received=NOW).site == "tier2.hep.manchester.ac.uk"


def test_it_flags_a_sender_clock_more_than_five_minutes_off():
    assert parse(samples.VAC_FACTORY, received=1543000000 + 301).skewed
    assert not parse(samples.VAC_FACTORY, received=1543000000 + 300).skewed


def test_duplicates_share_one_natural_key():
    assert parse(samples.VAC_FACTORY).key == parse(samples.VAC_FACTORY, NOW + 9).key
    assert parse(samples.VAC_MACHINETYPE).key != parse(samples.VAC_MASTER_MACHINETYPE).key


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe not utf-8", "not_utf8"),
        (b"{not json", "not_json"),
        (b"[1, 2, 3]", "not_object"),
        (b'"a string"', "not_object"),
        (b'{"space": "s"}', "missing_message_type"),
        (b'{"message_type": "banana"}', "unknown_message_type"),
        (b'{"message_type": 7}', "unknown_message_type"),
        (b'{"message_type": "factory_status", "space": "s", "factory": "f"}', "missing_field"),
        (b"x" * 65508, "oversize"),
        (b'{"message_type": "factory_status", "time_sent": NaN}', "not_json"),
        (b'{"message_type": "factory_status", "space": "a\\u0000b"}', "bad_value"),
    ],
)
def test_it_rejects_bad_datagrams_with_a_reason(payload, reason):
    with pytest.raises(Rejected) as caught:
        parse(payload)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("running_processors", "2", "wrong_type"),
        ("running_processors", 2.5, "wrong_type"),
        ("running_processors", True, "wrong_type"),
        ("site", 12, "wrong_type"),
        ("time_sent", -1, "out_of_range"),
        ("max_processors", 2**64, "out_of_range"),
        ("factory", "f" * 256, "bad_value"),
    ],
)
def test_it_rejects_fields_of_the_wrong_type(field, value, reason):
    obj = json.loads(samples.VAC_FACTORY)
    obj[field] = value
    with pytest.raises(Rejected) as caught:
        normalise(obj, received=NOW)
    assert caught.value.reason == reason
    assert caught.value.field == field


@pytest.mark.parametrize("fqan", ["", None])
def test_it_rejects_an_empty_or_null_fqan(fqan):
    obj = json.loads(samples.VAC_MACHINETYPE)
    obj["fqan"] = fqan
    with pytest.raises(Rejected) as caught:
        normalise(obj, received=NOW)
    assert caught.value.reason == "bad_fqan"


def test_it_survives_deeply_nested_json():
    with pytest.raises(Rejected) as caught:
        parse(b"[" * 60000 + b"]" * 5)
    assert caught.value.reason in {"not_json", "oversize"}
