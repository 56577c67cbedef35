from __future__ import annotations

import pytest

from publisher import SpaceInputs, SpaceSettings, build_site_document, validate_document
from tests.publisher.samples import NOW, factory, machinetype, space


def two_spaces(second_settings: SpaceSettings | None = None) -> list[SpaceInputs]:
    first = space([factory("a1", max_processors=8, max_hs06=80.0)], [machinetype("lhcb")])
    second = space(
        [factory("b1", max_processors=32, max_hs06=400.0, space="vac02.example.ac.uk")],
        [machinetype("atlas", "b1", space="vac02.example.ac.uk")],
        settings=second_settings,
        name="vac02.example.ac.uk",
    )
    return [first, second]


def test_the_site_document_has_one_resource_per_space_and_validates() -> None:
    document = build_site_document(two_spaces(), now=NOW)
    resources = document["computingresources"]
    assert isinstance(resources, dict)
    assert sorted(resources) == ["vac01.example.ac.uk", "vac02.example.ac.uk"]
    assert validate_document(document) == []


def test_each_resource_keeps_its_own_totals() -> None:
    resources = build_site_document(two_spaces(), now=NOW)["computingresources"]
    assert isinstance(resources, dict)
    first, second = resources["vac01.example.ac.uk"], resources["vac02.example.ac.uk"]
    assert isinstance(first, dict) and isinstance(second, dict)
    assert (first["number_logical_cpus"], first["capacity_hs06"]) == (8, 80.0)
    assert (second["number_logical_cpus"], second["capacity_hs06"]) == (32, 400.0)


def test_it_leaves_out_a_space_that_is_not_published() -> None:
    document = build_site_document(two_spaces(SpaceSettings(publish=False)), now=NOW)
    assert list(document["computingresources"]) == ["vac01.example.ac.uk"]


def test_it_leaves_out_a_silent_space_and_still_validates_when_all_are_silent() -> None:
    spaces = two_spaces()
    document = build_site_document(spaces, now=NOW + 2 * 86400)
    assert document == {"computingresources": {}}
    assert validate_document(document) == []


def test_it_refuses_the_same_space_twice() -> None:
    first, _ = two_spaces()
    with pytest.raises(ValueError, match="twice"):
        build_site_document([first, first], now=NOW)
