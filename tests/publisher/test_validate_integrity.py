from __future__ import annotations

import json
from typing import Any

from publisher import CrrFormat, Rule, validate_document, validate_json
from tests.publisher.samples import VACMON_2019_EXAMPLE, recommended, resource_of

R = "$.computingresources['vac01.example.ac.uk']"
AP = f"{R}.accesspoints['vac01.example.ac.uk']"


def findings(document: Any) -> set[tuple[str, str]]:
    return {(issue.path, issue.rule) for issue in validate_document(document)}


def text_findings(text: str) -> set[tuple[str, str]]:
    return {(issue.path, issue.rule) for issue in validate_json(text)}


def test_rule_1_the_first_key_must_be_computingresources() -> None:
    document = {"srr": {}, **recommended()}
    assert findings(document) == {("$", Rule.FIRST_KEY), ("$.srr", "additionalProperties")}


def test_rule_1_is_checked_on_the_text_order() -> None:
    body = recommended()["computingresources"]
    text = '{"extra": 1, "computingresources": ' + json.dumps(body) + "}"
    assert ("$", Rule.FIRST_KEY) in text_findings(text)


def test_rule_2_a_repeated_resource_identifier_is_reported() -> None:
    resource = json.dumps(resource_of(recommended()))
    text = (
        '{"computingresources": {"vac01.example.ac.uk": '
        + resource
        + ', "vac01.example.ac.uk": '
        + resource
        + "}}"
    )
    assert text_findings(text) == {(R, Rule.DUPLICATE_RESOURCE)}


def test_rule_2_cannot_be_seen_once_the_text_is_parsed_so_a_plain_parse_hides_it() -> None:
    resource = json.dumps(resource_of(recommended()))
    text = '{"computingresources": {"a": ' + resource + ', "a": ' + resource + "}}"
    assert validate_document(json.loads(text)) == []
    assert validate_json(text) != []


def test_rule_3_a_repeated_share_or_access_point_identifier_is_reported() -> None:
    share = '{"type": "machinetype", "assigned_vos": ["lhcb"]}'
    text = json.dumps(recommended()).replace(
        '"shares": {', '"shares": {"lhcb-vm-prod": ' + share + ", ", 1
    )
    accesspoint = '{"flavour": "VAC", "version": "03.01", "endpoint_urls": ["x"]}'
    text = text.replace(
        '"accesspoints": {', '"accesspoints": {"vac01.example.ac.uk": ' + accesspoint + ", ", 1
    )
    assert text_findings(text) == {
        (f"{R}.shares['lhcb-vm-prod']", Rule.DUPLICATE_IN_RESOURCE),
        (AP, Rule.DUPLICATE_IN_RESOURCE),
    }


def test_a_repeated_key_elsewhere_is_reported_too() -> None:
    text = json.dumps(recommended()).replace('"os": ', '"os": "x", "os": ', 1)
    assert text_findings(text) == {(f"{R}.os", Rule.DUPLICATE_KEY)}


def test_rule_3_repeated_vos_and_share_names_are_reported_at_the_repeat() -> None:
    document = recommended()
    resource = resource_of(document)
    resource["assigned_vos"] = ["lhcb", "atlas", "lhcb"]
    resource["shares"]["atlas-vm-mcore"]["assigned_vos"] = ["atlas", "atlas"]
    resource["accesspoints"]["vac01.example.ac.uk"]["shares"] = ["lhcb-vm-prod"] * 2
    assert findings(document) == {
        (f"{R}.assigned_vos[2]", Rule.DUPLICATE_IN_RESOURCE),
        (f"{R}.shares['atlas-vm-mcore'].assigned_vos[1]", Rule.DUPLICATE_IN_RESOURCE),
        (f"{AP}.shares[1]", Rule.DUPLICATE_IN_RESOURCE),
    }


def test_rule_4_a_share_vo_must_be_a_resource_vo() -> None:
    document = recommended()
    resource_of(document)["shares"]["lhcb-vm-prod"]["assigned_vos"] = ["lhcb", "cms"]
    assert findings(document) == {
        (f"{R}.shares['lhcb-vm-prod'].assigned_vos[1]", Rule.VO_NOT_AT_RESOURCE)
    }


def test_rule_4_is_not_reported_twice_when_the_resource_vos_are_missing() -> None:
    document = recommended()
    del resource_of(document)["assigned_vos"]
    assert findings(document) == {(f"{R}.assigned_vos", "required")}


def test_rule_5_an_access_point_may_only_name_existing_shares() -> None:
    document = recommended()
    resource_of(document)["accesspoints"]["vac01.example.ac.uk"]["shares"] = [
        "lhcb-vm-prod",
        "cms-vm",
    ]
    assert findings(document) == {(f"{AP}.shares[1]", Rule.UNKNOWN_SHARE)}


def test_rule_5_with_no_shares_at_all_every_named_share_is_unknown() -> None:
    document = recommended()
    resource = resource_of(document)
    del resource["shares"]
    resource["accesspoints"]["vac01.example.ac.uk"]["shares"] = ["lhcb-vm-prod"]
    assert findings(document) == {(f"{AP}.shares[0]", Rule.UNKNOWN_SHARE)}


def test_the_integrity_rules_skip_parts_of_the_wrong_type() -> None:
    document = recommended()
    resource = resource_of(document)
    resource["shares"] = ["lhcb-vm-prod"]
    resource["accesspoints"]["vac01.example.ac.uk"]["shares"] = ["lhcb-vm-prod"]
    assert findings(document) == {(f"{R}.shares", "type")}


def test_the_integrity_rules_apply_to_the_vacmon_2019_format_except_rule_4() -> None:
    document = json.loads(VACMON_2019_EXAMPLE)
    resource = resource_of(document)
    resource["shares"]["lhcb-vm-prod"]["assigned_vos"] = ["lhcb", "lhcb"]
    issues = validate_document(document, CrrFormat.VACMON_2019)
    assert [(i.path, i.rule) for i in issues] == [
        (f"{R}.shares['lhcb-vm-prod'].assigned_vos[1]", Rule.DUPLICATE_IN_RESOURCE)
    ]
