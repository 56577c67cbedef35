"""Scope.terms: the one statement of which filters apply to which message type, used by
both backends' queries."""

from __future__ import annotations

from vacmon.store import Scope

EVERYTHING = Scope(site="S", space="sp", factory="f", machinetype="lhcb", vo="lhcb", machine="m1")


def test_a_factory_message_is_filtered_only_by_where_it_comes_from() -> None:
    assert EVERYTHING.terms("factory_status") == [("site", "S"), ("space", "sp"), ("factory", "f")]


def test_a_machinetype_message_is_filtered_by_machinetype_and_vo_but_not_machine() -> None:
    names = [name for name, _ in EVERYTHING.terms("machinetype_status")]
    assert names == ["site", "space", "factory", "machinetype", "vo"]


def test_only_a_machine_message_is_filtered_by_machine() -> None:
    assert ("machine", "m1") in EVERYTHING.terms("machine_status")


def test_filters_left_unset_are_not_terms() -> None:
    assert Scope(vo="atlas").terms("machinetype_status") == [("vo", "atlas")]
    assert Scope(vo="atlas").terms("factory_status") == []
