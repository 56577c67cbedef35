from __future__ import annotations

import json
import math
from typing import Any

import pytest

from publisher import CrrFormat, Rule, validate_document, validate_json
from tests.publisher.samples import (
    RECOMMENDED_CRR,
    VACMON_2019_EXAMPLE,
    VACMON_2019_MANCHESTER,
    recommended,
    resource_of,
)

R = "$.computingresources['vac01.example.ac.uk']"


def findings(document: Any) -> set[tuple[str, str]]:
    return {(issue.path, issue.rule) for issue in validate_document(document)}


def test_the_spec_recommended_document_is_valid() -> None:
    assert validate_json(RECOMMENDED_CRR) == []


def test_the_old_vacmon_output_fails_with_the_nine_errors_the_spec_lists() -> None:
    issues = validate_json(VACMON_2019_EXAMPLE)
    assert len(issues) == 9
    assert {(i.path, i.rule) for i in issues} == {
        (f"{R}.capacity_hs06", "required"),
        (f"{R}.os", "required"),
        (f"{R}.max_walltime_minutes", "required"),
        (f"{R}.max_memory_gb", "required"),
        (f"{R}.assigned_vos", "required"),
        (f"{R}.jobmanager", "enum"),
        (f"{R}.accesspoints['vac01.example.ac.uk'].flavour", "enum"),
        (f"{R}.shares['lhcb-vm-prod'].max_main_memory_GB", "additionalProperties"),
        (f"{R}.capacity_HS06", "additionalProperties"),
    }


def test_the_original_manchester_document_fails_the_same_way() -> None:
    issues = validate_json(VACMON_2019_MANCHESTER)
    assert len(issues) == 9
    assert sorted({i.rule for i in issues}) == ["additionalProperties", "enum", "required"]


def test_the_old_document_is_valid_in_the_vacmon_2019_rules() -> None:
    assert validate_json(VACMON_2019_EXAMPLE, CrrFormat.VACMON_2019) == []


REQUIRED = [
    "site", "type", "jobmanager", "jobmanager_version", "status", "number_logical_cpus",
    "capacity_hs06", "os", "max_walltime_minutes", "max_memory_gb", "assigned_vos",
    "publication_time",
]  # fmt: skip


@pytest.mark.parametrize("field", REQUIRED)
def test_it_reports_each_missing_resource_field_at_its_path(field: str) -> None:
    document = recommended()
    del resource_of(document)[field]
    assert findings(document) == {(f"{R}.{field}", "required")}


@pytest.mark.parametrize("field", ["comment", "shares", "accesspoints"])
def test_optional_resource_fields_may_be_left_out(field: str) -> None:
    document = recommended()
    del resource_of(document)[field]
    assert findings(document) == set()


@pytest.mark.parametrize("field", ["flavour", "version", "endpoint_urls"])
def test_it_reports_a_missing_accesspoint_field(field: str) -> None:
    document = recommended()
    del resource_of(document)["accesspoints"]["vac01.example.ac.uk"][field]
    assert findings(document) == {(f"{R}.accesspoints['vac01.example.ac.uk'].{field}", "required")}


def test_it_requires_a_type_on_every_share() -> None:
    document = recommended()
    del resource_of(document)["shares"]["lhcb-vm-prod"]["type"]
    assert findings(document) == {(f"{R}.shares['lhcb-vm-prod'].type", "required")}


def test_it_requires_computingresources() -> None:
    assert findings({}) == {("$.computingresources", "required")}


@pytest.mark.parametrize("document", [[], "crr", 1, None])
def test_it_rejects_a_document_that_is_not_an_object(document: object) -> None:
    assert findings(document) == {("$", "type")}


def test_it_rejects_the_2018_flat_list_format() -> None:
    flat = [{"sitename": "UKI-EXAMPLE", "resourcename": "vac01.example.ac.uk"}]
    assert findings(flat) == {("$", "type")}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("site", 7),
        ("jobmanager_version", 3.01),
        ("os", None),
        ("number_logical_cpus", "160"),
        ("capacity_hs06", True),
        ("max_walltime_minutes", [2880]),
        ("max_memory_gb", {"gb": 2}),
        ("publication_time", "1557996158"),
        ("assigned_vos", "lhcb"),
        ("comment", 1),
        ("shares", []),
        ("accesspoints", "vac01.example.ac.uk"),
    ],
)
def test_it_reports_a_field_of_the_wrong_type(field: str, value: object) -> None:
    document = recommended()
    resource_of(document)[field] = value
    assert findings(document) == {(f"{R}.{field}", "type")}


def test_it_reports_a_vo_that_is_not_a_string_at_its_index() -> None:
    document = recommended()
    resource_of(document)["assigned_vos"] = ["lhcb", 2]
    # The share VO atlas is no longer at resource level either.
    assert findings(document) == {
        (f"{R}.assigned_vos[1]", "type"),
        (f"{R}.shares['atlas-vm-mcore'].assigned_vos[0]", Rule.VO_NOT_AT_RESOURCE),
    }


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("type",), "cloud"),
        (("jobmanager",), "uk.ac.gridpp.vac"),
        (("jobmanager",), "Vac"),
        (("jobmanager",), "HTCondor"),
        (("status",), "Production"),
        (("status",), "candidate"),
        (("accesspoints", "vac01.example.ac.uk", "flavour"), "uk.ac.gridpp.vac"),
        (("accesspoints", "vac01.example.ac.uk", "flavour"), "condor"),
    ],
)
def test_it_reports_a_value_outside_an_enum(where: tuple[str, ...], value: str) -> None:
    document = recommended()
    target = resource_of(document)
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    path = R + "".join(f"['{k}']" if "." in k else f".{k}" for k in where)
    assert findings(document) == {(path, "enum")}


@pytest.mark.parametrize(
    "value", ["condor", "torque", "VAC", "uk.ac.gridpp.vcycle", "sge", "slurm", "lsf"]
)
def test_it_accepts_every_v15_jobmanager(value: str) -> None:
    document = recommended()
    resource_of(document)["jobmanager"] = value
    assert findings(document) == set()


def test_it_accepts_only_gpu_as_coprocessor() -> None:
    document = recommended()
    resource_of(document)["coprocessor"] = "GPU"
    assert findings(document) == set()
    resource_of(document)["coprocessor"] = "FPGA"
    assert findings(document) == {(f"{R}.coprocessor", "const")}


def test_it_rejects_a_site_name_on_more_than_one_line() -> None:
    document = recommended()
    resource_of(document)["site"] = "UKI-EXAMPLE\nUKI-OTHER"
    assert findings(document) == {(f"{R}.site", "pattern")}


AP = f"{R}.accesspoints['vac01.example.ac.uk']"


@pytest.mark.parametrize(
    ("where", "key", "path"),
    [
        ((), "srr", "$.srr"),
        (("computingresources", "vac01.example.ac.uk"), "Site", f"{R}.Site"),
        (("computingresources", "vac01.example.ac.uk"), "node_type", f"{R}.node_type"),
        (
            ("computingresources", "vac01.example.ac.uk", "shares", "lhcb-vm-prod"),
            "vo",
            f"{R}.shares['lhcb-vm-prod'].vo",
        ),
        (
            ("computingresources", "vac01.example.ac.uk", "accesspoints", "vac01.example.ac.uk"),
            "hosting_site",
            f"{AP}.hosting_site",
        ),
    ],
)
def test_it_rejects_a_key_the_schema_does_not_allow(
    where: tuple[str, ...], key: str, path: str
) -> None:
    document = recommended()
    target = document
    for part in where:
        target = target[part]
    target[key] = "x"
    assert findings(document) == {(path, "additionalProperties")}


def test_it_reports_each_unexpected_key_separately() -> None:
    document = recommended()
    resource_of(document).update({"capacity_HS06": 1, "Site": "x"})
    assert findings(document) == {
        (f"{R}.capacity_HS06", "additionalProperties"),
        (f"{R}.Site", "additionalProperties"),
    }


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_it_rejects_a_number_json_cannot_carry(value: float) -> None:
    document = recommended()
    resource_of(document)["capacity_hs06"] = value
    assert findings(document) == {(f"{R}.capacity_hs06", Rule.NOT_FINITE)}


@pytest.mark.parametrize("text", ["", "{", '{"computingresources": NaN}', "{'a': 1}"])
def test_it_reports_text_that_is_not_strict_json(text: str) -> None:
    issues = validate_json(text)
    assert [(i.path, i.rule) for i in issues] == [("$", "json")]


def test_it_reports_every_fault_of_a_document_at_once() -> None:
    document = recommended()
    resource = resource_of(document)
    resource["status"] = "live"
    resource["os"] = 7
    del resource["site"]
    assert findings(document) == {
        (f"{R}.status", "enum"),
        (f"{R}.os", "type"),
        (f"{R}.site", "required"),
    }


def test_an_issue_reads_as_path_message_and_rule() -> None:
    document = recommended()
    del resource_of(document)["os"]
    (issue,) = validate_document(document)
    assert str(issue) == f"{R}.os: 'os' is required [required]"


def test_it_escapes_quotes_in_identifiers_of_the_path() -> None:
    document = json.loads(RECOMMENDED_CRR)
    resources = document["computingresources"]
    resources["it's"] = resources.pop("vac01.example.ac.uk")
    del resources["it's"]["os"]
    assert findings(document) == {("$.computingresources['it\\'s'].os", "required")}
