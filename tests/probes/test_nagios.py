from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from probes.nagios import (
    PerfDatum,
    PluginOutput,
    PluginOutputError,
    Range,
    Status,
    Thresholds,
    parse_perfdata,
    parse_plugin_output,
    render_perfdata,
    worst,
)


@pytest.mark.parametrize(
    ("text", "alerting", "quiet"),
    [
        ("10", [-1, 10.5, 11], [0, 5, 10]),
        ("10:", [9.99, -5], [10, 11, 1e9]),
        ("~:10", [10.01, 1e9], [-1e9, 0, 10]),
        ("10:20", [9, 21], [10, 15, 20]),
        ("@10:20", [10, 15, 20], [9, 21]),
    ],
)
def test_it_alerts_exactly_as_the_range_table_says(text, alerting, quiet):
    threshold = Range.parse(text)
    assert [threshold.alerts(v) for v in alerting] == [True] * len(alerting)
    assert [threshold.alerts(v) for v in quiet] == [False] * len(quiet)


@pytest.mark.parametrize("text", ["10", "10:", "~:10", "10:20", "@10:20", "@~:0.5", "-5:-1"])
def test_it_renders_a_range_back_to_an_equivalent_string(text):
    assert Range.parse(str(Range.parse(text))) == Range.parse(text)


@pytest.mark.parametrize("text", ["", "@", "abc", "20:10", "1:2:3", "10~"])
def test_it_rejects_a_malformed_range(text):
    with pytest.raises(PluginOutputError):
        Range.parse(text)


def test_it_checks_critical_before_warning():
    limits = Thresholds.parse("~:10", "~:20")
    assert [limits.evaluate(v) for v in (5, 15, 25)] == [
        Status.OK,
        Status.WARNING,
        Status.CRITICAL,
    ]


def test_it_ranks_unknown_between_ok_and_warning_when_folding():
    assert worst([Status.UNKNOWN, Status.OK]) == Status.UNKNOWN
    assert worst([Status.UNKNOWN, Status.WARNING]) == Status.WARNING
    assert worst([Status.WARNING, Status.CRITICAL, Status.UNKNOWN]) == Status.CRITICAL
    assert worst([]) == Status.OK


def test_it_parses_perfdata_with_quoted_labels_units_and_dropped_fields():
    items = parse_perfdata("'/ root'=3.5MB;5:;2:;0;10 time=0.001956s;;;0.000000;10.000000 c=7c")
    assert items[0] == PerfDatum("/ root", 3.5, "MB", Range.parse("5:"), Range.parse("2:"), 0, 10)
    assert (items[1].label, items[1].value, items[1].uom, items[1].warning) == (
        "time",
        0.001956,
        "s",
        None,
    )
    assert (items[1].minimum, items[1].maximum) == (0.0, 10.0)
    assert (items[2].uom, items[2].minimum) == ("c", None)


def test_it_reads_a_doubled_quote_inside_a_quoted_label():
    (item,) = parse_perfdata("'it''s = odd'=1")
    assert item.label == "it's = odd"
    assert parse_perfdata(item.render()) == (item,)


def test_it_accepts_u_as_an_undetermined_value():
    (item,) = parse_perfdata("rta=U;;;0")
    assert item.value is None


@pytest.mark.parametrize(
    "text",
    ["novalue", "a=", "a=1;2;3;4;5;6", "a=1xyz", "a=one", "'open=1", "'q'1", "a=1;;;zero"],
)
def test_it_rejects_malformed_perfdata(text):
    with pytest.raises(PluginOutputError):
        parse_perfdata(text)


labels = st.text(st.characters(codec="ascii", exclude_characters="\n\r\t"), min_size=1).filter(
    lambda s: s.strip() == s
)
numbers = st.floats(-1e9, 1e9, allow_nan=False).map(lambda x: round(x, 4))


@given(labels, numbers, st.sampled_from(["", "s", "%", "KB", "c"]), st.none() | numbers)
def test_rendered_perfdata_parses_back_to_the_same_items(label, value, uom, minimum):
    item = PerfDatum(label, value, uom, Range.parse("~:10"), None, minimum, None)
    assert parse_perfdata(render_perfdata([item, item])) == (item, item)


@pytest.mark.parametrize(
    ("text", "code", "status", "service", "summary"),
    [
        ("OK", 0, Status.OK, None, ""),
        ("WARNING: hello", 1, Status.WARNING, None, "hello"),
        ("CRITICAL - disk full", 2, Status.CRITICAL, None, "disk full"),
        ("TCP OK - 0.000 second response time", 0, Status.OK, "TCP", "0.000 second response time"),
        (
            "HTTP WARNING: HTTP/1.0 404 File not found",
            1,
            Status.WARNING,
            "HTTP",
            "HTTP/1.0 404 File not found",
        ),
        (
            "Factory + responder ok (a/b c/d)",
            0,
            Status.OK,
            None,
            "Factory + responder ok (a/b c/d)",
        ),
        (
            "connect to address 127.0.0.1: refused",
            2,
            Status.CRITICAL,
            None,
            "connect to address 127.0.0.1: refused",
        ),
    ],
)
def test_it_reads_each_first_line_form(text, code, status, service, summary):
    output = parse_plugin_output(text + "\n", code)
    assert (output.status, output.service, output.summary) == (status, service, summary)


def test_it_splits_nagios3_long_output_and_perfdata_over_lines():
    text = "DISK OK - free | a=1\nline one\nline two | b=2%\nc=3;~:10\n'd e'=4s\n"
    output = parse_plugin_output(text, 0)
    assert output.summary == "free"
    assert output.details == "line one\nline two"
    assert [p.label for p in output.perfdata] == ["a", "b", "c", "d e"]
    assert output.perfdata[2].warning == Range(-math.inf, 10)


def test_it_takes_the_status_from_the_exit_code_when_the_text_has_none():
    assert parse_plugin_output("all fine", 2).status == Status.CRITICAL


@pytest.mark.parametrize(
    ("text", "code"),
    [("OK - fine", 2), ("CRITICAL - bad", 0), ("OK", 4), ("OK", -1), ("", 0), ("  \n", 3),
     ("OK | garbage", 0), ("\nsecond line", 0)],
)  # fmt: skip
def test_it_raises_on_surprising_output(text, code):
    with pytest.raises(PluginOutputError):
        parse_plugin_output(text, code)


def test_rendered_output_parses_back():
    output = PluginOutput(
        Status.WARNING, "load high", "core 1\ncore 2", parse_perfdata("l=5;4;8;0"), "LOAD"
    )
    assert parse_plugin_output(output.render(), 1) == output
