from __future__ import annotations

import math

from publisher import (
    CrrFormat,
    JsonObject,
    Rule,
    build_space_document,
    decide,
    to_json_bytes,
    validate_json,
)
from tests.publisher.samples import NOW, factory, machinetype, recommended, resource_of, space


def good_document(now: int = NOW) -> JsonObject:
    document = build_space_document(space([factory("f1")], [machinetype("lhcb")]), now=now)
    assert document is not None
    return document


def test_a_valid_new_document_replaces_the_last_good_one() -> None:
    last_good, candidate = good_document(NOW - 600), good_document(NOW)
    decision = decide(candidate, last_good)
    assert decision.document is candidate
    assert decision.errors == ()
    assert decision.accepted


def test_a_first_valid_document_is_served() -> None:
    candidate = good_document()
    assert decide(candidate, None) == (candidate, ())


def test_an_invalid_document_is_never_served_and_the_last_good_one_stays() -> None:
    last_good = good_document(NOW - 600)
    candidate = good_document()
    del resource_of(candidate)["os"]
    document, errors = decide(candidate, last_good)
    assert document is last_good
    assert [(e.path, e.rule) for e in errors] == [
        ("$.computingresources['vac01.example.ac.uk'].os", "required")
    ]


def test_with_no_last_good_document_an_invalid_one_leaves_nothing_to_serve() -> None:
    candidate = good_document()
    resource_of(candidate)["jobmanager"] = "uk.ac.gridpp.vac"
    decision = decide(candidate, None)
    assert decision.document is None
    assert not decision.accepted


def test_a_space_with_nothing_generated_keeps_the_last_good_document() -> None:
    last_good = good_document(NOW - 600)
    silent = build_space_document(space([factory("f1", time_received=0)]), now=NOW)
    document, errors = decide(silent, last_good)
    assert document is last_good
    assert [e.rule for e in errors] == [Rule.MISSING]


def test_an_unrecognised_daemon_does_not_replace_the_last_good_document() -> None:
    last_good = good_document(NOW - 600)
    candidate = build_space_document(space([factory("f1", daemon_version="ARC 6.0")]), now=NOW)
    document, errors = decide(candidate, last_good)
    assert document is last_good
    assert {e.rule for e in errors} == {"enum"}


def test_a_document_with_a_value_json_cannot_hold_is_refused() -> None:
    last_good = good_document(NOW - 600)
    for bad in (math.nan, {1, 2}):
        candidate = good_document()
        resource_of(candidate)["capacity_hs06"] = bad
        document, errors = decide(candidate, last_good)
        assert document is last_good
        assert [e.rule for e in errors] == [Rule.JSON]


def test_a_tuple_is_checked_as_the_list_it_is_served_as() -> None:
    candidate = good_document()
    resource_of(candidate)["assigned_vos"] = ("lhcb",)
    assert decide(candidate, None).accepted


def test_the_vacmon_2019_format_is_checked_against_its_own_rules() -> None:
    inputs = space([factory("f1")], [machinetype("lhcb")])
    legacy = build_space_document(inputs, now=NOW, fmt=CrrFormat.VACMON_2019)
    assert decide(legacy, None, CrrFormat.VACMON_2019).accepted
    assert not decide(legacy, None).accepted
    assert not decide(recommended(), None, CrrFormat.VACMON_2019).accepted


def test_the_served_bytes_are_json_that_validates_and_keeps_the_key_order() -> None:
    body = to_json_bytes(good_document())
    assert body.startswith(b'{\n  "computingresources"')
    assert body.endswith(b"\n")
    assert validate_json(body) == []
