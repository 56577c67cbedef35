from __future__ import annotations

import json

from publisher import CrrFormat, build_space_document, validate_document
from tests.publisher.samples import (
    MANCHESTER_SPACE,
    NOW,
    VACMON_2019_MANCHESTER,
    factory,
    machinetype,
    resource_of,
    space,
)
from tests.publisher.test_build_space import manchester

LEGACY = CrrFormat.VACMON_2019


def test_it_reproduces_the_original_document_for_the_manchester_example() -> None:
    document = build_space_document(manchester(), now=1543000000, fmt=LEGACY)
    assert document == json.loads(VACMON_2019_MANCHESTER)


def test_the_original_shape_passes_our_vacmon_2019_rules_and_fails_crr_v15() -> None:
    document = build_space_document(manchester(), now=NOW, fmt=LEGACY)
    assert validate_document(document, LEGACY) == []
    assert len(validate_document(document)) == 9


def test_it_leaves_out_capacity_when_there_is_none_as_the_original_did() -> None:
    document = build_space_document(space([factory("f1", max_hs06=0.0)]), now=NOW, fmt=LEGACY)
    resource = resource_of(document)
    assert "capacity_HS06" not in resource
    assert resource["shares"] == {}
    assert validate_document(document, LEGACY) == []


def test_it_keeps_the_original_integer_divisions_for_share_limits() -> None:
    inputs = space(
        [factory("f1", max_processors=8, max_hs06=99.9)],
        [
            machinetype(
                "lhcb",
                max_wallclock_seconds=3599,
                max_processors=3,
                bytes_per_processor=2 * 10**9 - 1,
            )
        ],
    )
    resource = resource_of(build_space_document(inputs, now=NOW, fmt=LEGACY))
    assert resource["capacity_HS06"] == 99
    assert resource["shares"]["lhcb"]["max_walltime_minutes"] == 59
    assert resource["shares"]["lhcb"]["max_main_memory_GB"] == (3 * (2 * 10**9 - 1)) // 10**9


def test_it_names_vcycle_as_the_original_did() -> None:
    inputs = space(
        [factory("m1", daemon_version="Vcycle 03.00+pre06 vcycled", space="vc01")], name="vc01"
    )
    resource = resource_of(build_space_document(inputs, now=NOW, fmt=LEGACY), "vc01")
    assert resource["jobmanager"] == "uk.ac.gridpp.vcycle"
    assert resource["accesspoints"]["vc01"]["flavour"] == "uk.ac.gridpp.vcycle"


def test_the_manchester_space_is_keyed_by_its_name() -> None:
    document = build_space_document(manchester(), now=NOW, fmt=LEGACY)
    assert list(document["computingresources"]) == [MANCHESTER_SPACE]
