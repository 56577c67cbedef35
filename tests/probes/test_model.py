from __future__ import annotations

import json

import pytest

from probes.model import (
    MetricName,
    ProbeDefinition,
    ProbeError,
    ProbeRecord,
    ProbeResult,
    Target,
    TargetKind,
    metric_name,
    parse_metric_output,
    render_metric_output,
    render_sam3,
    render_sam3_json,
)
from probes.nagios import Status, parse_perfdata

SPACE = Target(TargetKind.SPACE, "vac01.example.ac.uk", "VAC", site="LCG.Manchester.uk")


@pytest.mark.parametrize(
    ("name", "namespace", "test", "fqan"),
    [
        ("uk.ac.gridpp.vacmon.Space-Heartbeat", "uk.ac.gridpp.vacmon", "Space-Heartbeat", None),
        ("uk.ac.gridpp.vacmon.Machinetype-Outcome-/lhcb/Role=NULL", "uk.ac.gridpp.vacmon",
         "Machinetype-Outcome", "/lhcb/Role=NULL"),
        ("org.sam.CONDOR-JobSubmit-/cms/Role=lcgadmin", "org.sam", "CONDOR-JobSubmit",
         "/cms/Role=lcgadmin"),
        ("org.nordugrid.ARC-CE-ARIS", "org.nordugrid", "ARC-CE-ARIS", None),
        ("org.bdii.Freshness", "org.bdii", "Freshness", None),
    ],
)  # fmt: skip
def test_it_splits_etf_metric_names(name, namespace, test, fqan):
    parsed = MetricName.parse(name)
    assert (parsed.namespace, parsed.test, parsed.fqan) == (namespace, test, fqan)
    assert str(parsed) == name


@pytest.mark.parametrize(
    "name", ["Space-Heartbeat", "uk.ac.gridpp.vacmon.", "UK.AC.X-Y", "a.b-c d"]
)
def test_it_rejects_a_metric_name_outside_the_scheme(name):
    with pytest.raises(ProbeError):
        MetricName.parse(name)


def test_it_takes_the_vo_from_the_fqan():
    assert metric_name("Machinetype-Outcome", "/lhcb/Role=NULL").endswith("-/lhcb/Role=NULL")
    assert MetricName.parse("org.x.A-B-/atlas/Role=production").vo == "atlas"


def test_it_refuses_a_timeout_longer_than_the_interval():
    with pytest.raises(ProbeError):
        ProbeDefinition("org.x.A", TargetKind.SPACE, interval=60, timeout=120)


def outcome_record(details: str = "3 of 10 failed\nvm1 | vm2") -> ProbeRecord:
    definition = ProbeDefinition(
        metric_name("Machinetype-Outcome", "/lhcb/Role=NULL"), TargetKind.SPACE
    )
    result = ProbeResult(
        Status.WARNING, "lhcb: 3/10 failed", details, parse_perfdata("failed=30%;~:20;~:50;0;100"),
        started_at=1557996157.2, finished_at=1557996158.9,
    )  # fmt: skip
    return ProbeRecord.from_result(definition, SPACE, result, monitoring_host="vacmon.example")


def test_it_builds_the_canonical_record_from_a_result():
    record = outcome_record()
    assert (record.timestamp, record.hostname, record.service_flavour) == (
        1557996158,
        "vac01.example.ac.uk",
        "VAC",
    )
    assert (record.vo, record.vo_fqan, record.site) == ("lhcb", "/lhcb/Role=NULL", SPACE.site)
    # A `|` in the long output would start perfdata, so it is stored as U+2758.
    assert record.details == "3 of 10 failed\nvm1 \u2758 vm2"


def test_it_refuses_a_result_for_the_wrong_kind_of_target():
    definition = ProbeDefinition("org.x.A", TargetKind.FACTORY)
    with pytest.raises(ProbeError):
        ProbeRecord.from_result(definition, SPACE, ProbeResult(Status.OK, "fine"))


def test_it_renders_metric_output_as_key_value_lines():
    body = render_metric_output(outcome_record())
    lines = body.splitlines()
    assert lines[:5] == [
        "serviceType: VAC",
        "timestamp: 2019-05-16T08:42:38Z",
        "hostName: vac01.example.ac.uk",
        "metricName: uk.ac.gridpp.vacmon.Machinetype-Outcome-/lhcb/Role=NULL",
        "metricStatus: WARNING",
    ]
    assert "summaryData: lhcb: 3/10 failed | failed=30%;~:20;~:50;0;100" in lines
    assert "detailsData: 3 of 10 failed\\nvm1 \u2758 vm2" in lines
    assert {"nagios_host: vacmon.example", "voName: lhcb", "voFqan: /lhcb/Role=NULL"} <= set(lines)
    assert lines[-1] == "EOT"


def test_metric_output_parses_back_to_the_same_record():
    record = outcome_record(details="path C:\\temp\\n is not a newline\nsecond")
    parsed = parse_metric_output(render_metric_output(record))
    assert parsed == ProbeRecord(**{**record.__dict__, "site": None})


def test_it_rejects_a_metric_output_body_without_required_keys():
    with pytest.raises(ProbeError):
        parse_metric_output("hostName: x\nEOT\n")


def test_it_renders_the_monit_sam3_document():
    document = render_sam3(outcome_record(), kafka_timestamp_ms=1557996200123)
    assert document["data"] == {
        "timestamp": 1557996158000,
        "dst_hostname": "vac01.example.ac.uk",
        "service_flavour": "VAC",
        "metric_name": "uk.ac.gridpp.vacmon.Machinetype-Outcome-/lhcb/Role=NULL",
        "status": "WARNING",
        "vo": "lhcb",
        "summary": "lhcb: 3/10 failed",
        "details": "3 of 10 failed\nvm1 \u2758 vm2",
        "dst_experiment_site": "LCG.Manchester.uk",
    }
    assert document["metadata"]["topic"] == "sam3_raw_metric"
    assert document["metadata"]["kafka_timestamp"] == 1557996200123


def test_the_sam3_id_is_stable_for_a_resent_result_and_differs_for_another():
    first, again = render_sam3(outcome_record()), render_sam3(outcome_record("other"))
    assert first["metadata"]["_id"] == again["metadata"]["_id"]
    later = ProbeRecord(**{**outcome_record().__dict__, "timestamp": 1557996159})
    assert render_sam3(later)["metadata"]["_id"] != first["metadata"]["_id"]


def test_sam3_json_is_one_line():
    text = render_sam3_json(outcome_record())
    assert "\n" not in text
    assert json.loads(text)["data"]["status"] == "WARNING"


def test_a_metric_without_fqan_takes_its_vo_from_the_definition():
    definition = ProbeDefinition(metric_name("Space-Heartbeat"), TargetKind.SPACE, vo="lhcb")
    record = ProbeRecord.from_result(
        definition, SPACE, ProbeResult(Status.OK, "alive", "", (), 0, 1)
    )
    assert (record.vo, record.vo_fqan) == ("lhcb", None)
