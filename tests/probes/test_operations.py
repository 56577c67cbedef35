from __future__ import annotations

import itertools

import pytest

from probes.operations import (
    STATES,
    OperationsError,
    OperationsProfile,
    argo_operations,
    argo_profile_document,
)

# Spec 3.2: AND is max over this order, OR is min over the other one.
AND_ORDER = ["OK", "WARNING", "UNKNOWN", "MISSING", "DOWNTIME", "CRITICAL"]
OR_ORDER = ["OK", "WARNING", "CRITICAL", "UNKNOWN", "DOWNTIME", "MISSING"]


def test_the_argo_and_table_is_max_over_its_order():
    ops = argo_operations()
    for a, b in itertools.product(STATES, STATES):
        assert ops.combine("AND", a, b) == max(a, b, key=AND_ORDER.index)


def test_the_argo_or_table_is_min_over_its_order():
    ops = argo_operations()
    for a, b in itertools.product(STATES, STATES):
        assert ops.combine("OR", a, b) == min(a, b, key=OR_ORDER.index)


def test_critical_and_downtime_is_critical():
    assert argo_operations().combine("AND", "DOWNTIME", "CRITICAL") == "CRITICAL"


def test_the_older_engine_differs_only_in_missing_or_downtime():
    streaming, older = argo_operations("DOWNTIME"), argo_operations("MISSING")
    differing = [
        (op, a, b)
        for op in ("AND", "OR")
        for a, b in itertools.combinations_with_replacement(STATES, 2)
        if streaming.combine(op, a, b) != older.combine(op, a, b)
    ]
    assert differing == [("OR", "MISSING", "DOWNTIME")]
    assert older.combine("OR", "DOWNTIME", "MISSING") == "MISSING"


def test_the_default_document_has_21_rows_per_operation():
    doc = argo_profile_document()
    assert [len(op["truth_table"]) for op in doc["operations"]] == [21, 21]


def test_a_tenant_can_customise_a_cell():
    doc = argo_profile_document()
    for row in doc["operations"][0]["truth_table"]:
        if {row["a"], row["b"]} == {"WARNING", "OK"}:
            row["x"] = "OK"
    ops = OperationsProfile.from_document(doc)
    assert ops.combine("AND", "WARNING", "OK") == "OK"


def test_it_rejects_an_incomplete_table():
    doc = argo_profile_document()
    doc["operations"][1]["truth_table"].pop()
    with pytest.raises(OperationsError):
        OperationsProfile.from_document(doc)


def test_it_rejects_an_unknown_state_or_operation():
    doc = argo_profile_document()
    doc["operations"][0]["truth_table"][0]["x"] = "FINE"
    with pytest.raises(OperationsError):
        OperationsProfile.from_document(doc)
    with pytest.raises(OperationsError):
        argo_operations().combine("XOR", "OK", "OK")
    with pytest.raises(OperationsError):
        argo_operations("UNKNOWN")


def test_folding_nothing_gives_missing():
    assert argo_operations().fold("AND", []) == "MISSING"
    assert argo_operations().fold("OR", ["CRITICAL", "UNKNOWN", "WARNING"]) == "WARNING"
