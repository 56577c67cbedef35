"""Property tests: every parser of untrusted input fails only with its own domain error."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import math
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apel.parse import parse_message
from factories.messages import Message, Rejected, normalise, parse_datagram
from factories.signing import sign
from probes.nagios import PluginOutputError, parse_perfdata, parse_plugin_output
from tests import samples
from vacmon.trust.udp import NETWORKS, OPEN, SIGNED, SitePolicy, UdpPolicy, Verdict

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
SAMPLE_OBJECTS = [json.loads(s) for s in samples.ALL]
FIELD_NAMES = sorted({key for obj in SAMPLE_OBJECTS for key in obj})


def parses_or_rejects(data: bytes) -> None:
    try:
        result = parse_datagram(data, received=1543000000)
    except Rejected as exc:
        assert exc.reason
        return
    assert isinstance(result, Message)


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes_are_parsed_or_rejected(data):
    parses_or_rejects(data)


@FUZZ
@given(
    st.sampled_from(samples.ALL),
    st.integers(min_value=0, max_value=2000),
    st.integers(min_value=0, max_value=40),
    st.binary(max_size=16),
)
def test_spliced_samples_are_parsed_or_rejected(sample, at, cut, insert):
    data = sample.encode()
    at = at % (len(data) + 1)
    parses_or_rejects(data[:at] + insert + data[at + cut :])


@FUZZ
@given(json_values)
def test_any_json_value_is_normalised_or_rejected(value):
    with contextlib.suppress(Rejected):
        normalise(value, received=1543000000)


@FUZZ
@given(st.sampled_from(SAMPLE_OBJECTS), st.sampled_from(FIELD_NAMES), json_values)
def test_a_sample_with_any_value_in_any_field_is_normalised_or_rejected(obj, name, value):
    changed = {**obj, name: value}
    try:
        message = normalise(changed, received=1543000000)
    except Rejected:
        return
    for number in message.fields.values():
        if isinstance(number, float):
            assert math.isfinite(number)


VALID_APEL = (
    "APEL-individual-job-message: v0.3\n"
    "Site: UKI-NORTHGRID-MAN-HEP\nSubmitHost: vac01.example.org/vac-f1.example.org\n"
    "LocalJobId: c9e8d7f6\nLocalUserId: f1.example.org\nQueue: atlas\n"
    "GlobalUserName: /DC=org/DC=example\nFQAN: /atlas/Role=production/Capability=NULL\n"
    "WallDuration: 86355\nCpuDuration: 84211\nProcessors: 1\nNodeCount: 1\n"
    "StartTime: 1795600000\nEndTime: 1795686355\nMemoryReal: 2097152\n"
    "MemoryVirtual: 2097152\nServiceLevelType: HEPSPEC\nServiceLevel: 12.5\n%%\n"
)


def test_the_apel_seed_message_is_accepted():
    result = parse_message(VALID_APEL, NOW)
    assert (len(result.records), len(result.errors), result.message_error) == (1, 0, None)


@FUZZ
@given(st.text(max_size=600))
def test_any_text_is_an_apel_result_never_an_exception(text):
    result = parse_message(text, NOW)
    assert result.message_error is not None or result.kind is not None


@FUZZ
@given(st.integers(min_value=0, max_value=len(VALID_APEL)), st.text(max_size=30))
def test_a_mutated_apel_record_is_accepted_or_refused_with_a_reason(at, insert):
    result = parse_message(VALID_APEL[:at] + insert + VALID_APEL[at:], NOW)
    if result.message_error is None:
        assert all(error.message for error in result.errors)


NAGIOS_SEED = "DISK WARNING - free space: / 3326 MB (56%) | /=2643MB;5948;5958;0;5968\nline two\n"


@FUZZ
@given(st.text(max_size=300), st.integers(min_value=-2, max_value=6))
def test_plugin_output_is_parsed_or_refused_with_the_domain_error(text, code):
    with contextlib.suppress(PluginOutputError):
        parse_plugin_output(text, code)


@FUZZ
@given(st.integers(min_value=0, max_value=len(NAGIOS_SEED)), st.text(max_size=20))
def test_mutated_plugin_output_is_parsed_or_refused_with_the_domain_error(at, insert):
    with contextlib.suppress(PluginOutputError):
        parse_plugin_output(NAGIOS_SEED[:at] + insert + NAGIOS_SEED[at:], 1)


@FUZZ
@given(st.text(alphabet=st.sampled_from("ab=;~:@.-+0123456789eEU%' \t"), max_size=80))
def test_perfdata_is_parsed_or_refused_with_the_domain_error(text):
    with contextlib.suppress(PluginOutputError):
        parse_perfdata(text)


KEY = b"k" * 16
POLICY = UdpPolicy(
    {
        "S": SitePolicy(SIGNED, (), {"": KEY}),
        "N": SitePolicy(NETWORKS, (ipaddress.ip_network("192.0.2.0/24"),), {}),
        "O": SitePolicy(OPEN, (), {"": KEY}),
    }
)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["site", "space", "time_sent", "hmac_sha256", "key_id"]),
        json_values,
        max_size=5,
    ),
    st.sampled_from(["S", "N", "O", "x"]),
    st.text(max_size=40),
)
def test_the_udp_policy_decides_on_any_object_without_raising(obj, site, source):
    obj.setdefault("site", site)
    verdict = POLICY.check(obj, source, 1543000000.0)
    assert isinstance(verdict, Verdict)


@pytest.mark.parametrize("site", ["S", "O"])
def test_a_signed_fuzz_seed_is_trusted(site):
    obj = sign({"site": site, "time_sent": 1543000000}, KEY)
    assert POLICY.check(obj, "203.0.113.1", 1543000000.0) == Verdict(True)
