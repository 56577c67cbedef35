from __future__ import annotations

import math
from typing import Any

import pytest

from publisher import (
    FactoryStatus,
    MachinetypeStatus,
    SpaceInputs,
    SpaceSettings,
    build_space_document,
    validate_document,
)
from tests.publisher.samples import (
    MANCHESTER_SITE,
    MANCHESTER_SPACE,
    NOW,
    VAC_ATLAS_STATUS,
    VAC_FACTORY_STATUS,
    VAC_LHCB_STATUS,
    VCYCLE_FACTORY_STATUS,
    VCYCLE_LHCB_STATUS,
    factory,
    machinetype,
    resource_of,
    space,
    stored,
)

CRR15_RESOURCE_KEYS = {
    "site", "type", "jobmanager", "jobmanager_version", "status", "number_logical_cpus",
    "capacity_hs06", "os", "coprocessor", "max_walltime_minutes", "max_memory_gb",
    "assigned_vos", "comment", "publication_time", "accesspoints", "shares",
}  # fmt: skip


def manchester(settings: SpaceSettings | None = None) -> SpaceInputs:
    """Two Vac factories (8 and 16 processors, 100 and 200 HS06) and two machinetypes."""
    second = {"factory": "vm124.tier2.hep.manchester.ac.uk", "max_processors": 16}
    return SpaceInputs(
        site=MANCHESTER_SITE,
        space=MANCHESTER_SPACE,
        factories=[
            FactoryStatus.from_mapping(stored(VAC_FACTORY_STATUS)),
            FactoryStatus.from_mapping(stored(VAC_FACTORY_STATUS, max_hs06=200.0, **second)),
        ],
        machinetypes=[
            MachinetypeStatus.from_mapping(stored(VAC_ATLAS_STATUS)),
            MachinetypeStatus.from_mapping(stored(VAC_LHCB_STATUS, factory=second["factory"])),
        ],
        settings=settings or SpaceSettings(),
    )


def manchester_resource(settings: SpaceSettings | None = None) -> Any:
    document = build_space_document(manchester(settings), now=NOW)
    assert document is not None
    return resource_of(document, MANCHESTER_SPACE)


def test_the_sample_messages_give_a_document_with_no_validation_error() -> None:
    document = build_space_document(manchester(), now=NOW)
    assert validate_document(document) == []


def test_it_sums_the_capacity_of_the_factories() -> None:
    resource = manchester_resource()
    assert resource["number_logical_cpus"] == 8 + 16
    assert resource["capacity_hs06"] == 100.0 + 200.0
    assert isinstance(resource["capacity_hs06"], float)


def test_it_describes_a_vac_space_with_the_v15_spellings() -> None:
    resource = manchester_resource()
    assert resource["type"] == "vacuum"
    assert resource["jobmanager"] == "VAC"
    assert resource["jobmanager_version"] == "03.00.01"
    assert resource["accesspoints"] == {
        MANCHESTER_SPACE: {
            "flavour": "VAC",
            "version": "03.00.01",
            "endpoint_urls": [MANCHESTER_SPACE],
        }
    }


def test_it_makes_one_share_per_machinetype_from_the_sample_limits() -> None:
    shares = manchester_resource()["shares"]
    assert shares["atlas"] == {
        "type": "machinetype",
        "assigned_vos": ["atlas"],
        "max_walltime_minutes": 86400 // 60,
        "max_memory_gb": 2.147,  # 2147483648 bytes in GB of 10^9 bytes, down to whole MB
    }
    # The older sender reports no limits, so the share carries none.
    assert shares["lhcb"] == {"type": "machinetype", "assigned_vos": ["lhcb"]}


def test_it_derives_resource_limits_and_vos_from_the_shares() -> None:
    resource = manchester_resource()
    assert resource["max_walltime_minutes"] == 1440
    assert resource["max_memory_gb"] == 2.147
    assert resource["assigned_vos"] == ["atlas", "lhcb"]


def test_it_publishes_the_space_settings() -> None:
    settings = SpaceSettings(
        gocdb_site="UKI-NORTHGRID-MAN-HEP2",
        os="CernVM 4 (EL7)",
        status="testing",
        comment="Vac space at Manchester",
        assigned_vos={"lhcb": ["lhcb", "dteam"]},
    )
    resource = manchester_resource(settings)
    assert resource["site"] == "UKI-NORTHGRID-MAN-HEP2"
    assert resource["os"] == "CernVM 4 (EL7)"
    assert resource["status"] == "testing"
    assert resource["comment"] == "Vac space at Manchester"
    assert resource["shares"]["lhcb"]["assigned_vos"] == ["lhcb", "dteam"]
    assert resource["assigned_vos"] == ["atlas", "dteam", "lhcb"]


def test_it_leaves_out_the_comment_when_none_is_set() -> None:
    assert "comment" not in manchester_resource()


def test_it_describes_a_vcycle_space_with_the_vcycle_name_for_both_fields() -> None:
    inputs = SpaceInputs(
        site="CERN-PROD",
        space="vcycle02.cern.ch",
        factories=[FactoryStatus.from_mapping(stored(VCYCLE_FACTORY_STATUS))],
        machinetypes=[MachinetypeStatus.from_mapping(stored(VCYCLE_LHCB_STATUS))],
    )
    document = build_space_document(inputs, now=NOW)
    assert validate_document(document) == []
    resource = resource_of(document, "vcycle02.cern.ch")
    assert resource["jobmanager"] == "uk.ac.gridpp.vcycle"
    assert resource["accesspoints"]["vcycle02.cern.ch"]["flavour"] == "uk.ac.gridpp.vcycle"
    assert resource["jobmanager_version"] == "03.00+pre06"
    assert resource["number_logical_cpus"] == 400
    assert resource["capacity_hs06"] == 0.0
    assert resource["shares"]["lhcb"]["max_walltime_minutes"] == 172800 // 60


def test_it_uses_the_version_of_the_most_recently_heard_factory() -> None:
    inputs = space(
        [
            factory("f1", daemon_version="Vac 03.00.01 vacd-factory", time_received=NOW - 10),
            factory("f2", daemon_version="Vac 03.01 vacd-factory", time_received=NOW - 5),
            factory("f3", daemon_version=None, time_received=NOW - 1),
        ]
    )
    assert resource_of(build_space_document(inputs, now=NOW))["jobmanager_version"] == "03.01"


def test_it_counts_only_the_latest_status_of_each_factory() -> None:
    inputs = space(
        [
            factory("f1", max_processors=8, max_hs06=80.0, time_received=NOW - 300),
            factory("f1", max_processors=16, max_hs06=160.0, time_received=NOW - 60),
            factory("f2", max_processors=4, max_hs06=40.0),
        ]
    )
    resource = resource_of(build_space_document(inputs, now=NOW))
    assert resource["number_logical_cpus"] == 16 + 4
    assert resource["capacity_hs06"] == 160.0 + 40.0


def test_it_leaves_out_factories_not_heard_within_the_window() -> None:
    inputs = space(
        [
            factory("fresh", max_processors=8, max_hs06=80.0, time_received=NOW - 86400),
            factory("stale", max_processors=16, max_hs06=160.0, time_received=NOW - 86401),
        ]
    )
    resource = resource_of(build_space_document(inputs, now=NOW))
    assert resource["number_logical_cpus"] == 8
    assert build_space_document(inputs, now=NOW, window_seconds=3600) is None


def test_it_ignores_statuses_of_another_space() -> None:
    inputs = space(
        [factory("f1", max_processors=8), factory("f2", max_processors=16, space="vac02")],
        [machinetype("lhcb"), machinetype("atlas", space="vac02")],
    )
    resource = resource_of(build_space_document(inputs, now=NOW))
    assert resource["number_logical_cpus"] == 8
    assert list(resource["shares"]) == ["lhcb"]


def test_it_generates_nothing_for_a_space_with_no_factory_in_the_window() -> None:
    inputs = space([factory("f1", time_received=NOW - 90000)], [machinetype("lhcb")])
    assert build_space_document(inputs, now=NOW) is None


def test_it_skips_missing_capacity_figures() -> None:
    inputs = space([factory("f1", max_processors=8, max_hs06=None), factory("f2")])
    resource = resource_of(build_space_document(inputs, now=NOW))
    assert resource["number_logical_cpus"] == 8
    assert resource["capacity_hs06"] == 0.0


def test_it_rounds_limits_down_to_whole_minutes_and_megabytes() -> None:
    inputs = space(
        [factory("f1", max_processors=1)],
        [machinetype("lhcb", max_wallclock_seconds=86459, bytes_per_processor=1999999999)],
    )
    share = resource_of(build_space_document(inputs, now=NOW))["shares"]["lhcb"]
    assert share["max_walltime_minutes"] == 1440
    assert share["max_memory_gb"] == 1.999


def test_it_takes_the_longest_walltime_and_the_smallest_memory_over_the_shares() -> None:
    inputs = space(
        [factory("f1", max_processors=4)],
        [
            machinetype("lhcb", max_wallclock_seconds=3600, bytes_per_processor=4 * 10**9),
            machinetype("atlas", max_wallclock_seconds=172800, bytes_per_processor=3 * 10**9),
            machinetype("cms", max_wallclock_seconds=7200, bytes_per_processor=None),
        ],
    )
    resource = resource_of(build_space_document(inputs, now=NOW))
    assert resource["max_walltime_minutes"] == 2880
    assert resource["max_memory_gb"] == 3.0
    assert "max_memory_gb" not in resource["shares"]["cms"]


def test_it_falls_back_to_the_configured_limits_when_no_share_reports_any() -> None:
    settings = SpaceSettings(
        fallback_max_wallclock_seconds=7200, fallback_bytes_per_processor=10**9
    )
    inputs = space([factory("f1", max_processors=4)], settings=settings)
    document = build_space_document(inputs, now=NOW)
    resource = resource_of(document)
    assert (resource["max_walltime_minutes"], resource["max_memory_gb"]) == (120, 1.0)
    assert resource["assigned_vos"] == []
    assert "shares" not in resource
    assert validate_document(document) == []


def test_the_default_fallbacks_are_the_vac_sender_defaults() -> None:
    resource = resource_of(build_space_document(space([factory("f1")]), now=NOW))
    assert resource["max_walltime_minutes"] == 86400 // 60
    assert resource["max_memory_gb"] == 2.147


def test_it_takes_each_share_figure_from_the_newest_factory_that_reports_it() -> None:
    inputs = space(
        [factory("old"), factory("new")],
        [
            machinetype("lhcb", "new", bytes_per_processor=3 * 10**9, time_received=NOW - 100),
            # The old factory spoke last but its release does not send the limits.
            machinetype(
                "lhcb",
                "old",
                max_wallclock_seconds=None,
                bytes_per_processor=None,
                time_received=NOW - 10,
            ),
        ],
    )
    share = resource_of(build_space_document(inputs, now=NOW))["shares"]["lhcb"]
    assert share["max_memory_gb"] == 3.0
    assert share["max_walltime_minutes"] == 2880


def test_a_machinetype_without_vo_has_no_share_vos() -> None:
    inputs = space([factory("f1")], [machinetype("test", fqan=None)])
    document = build_space_document(inputs, now=NOW)
    assert "assigned_vos" not in resource_of(document)["shares"]["test"]
    assert validate_document(document) == []


def test_the_output_is_the_same_whatever_order_the_statuses_come_in() -> None:
    factories = [
        factory(f"f{i}", max_processors=i, daemon_version=f"Vac 03.0{i}") for i in range(5)
    ]
    shares = [machinetype(name) for name in ("lhcb", "atlas", "cms")]
    forward = build_space_document(space(factories, shares), now=NOW)
    backward = build_space_document(space(factories[::-1], shares[::-1]), now=NOW)
    assert forward == backward


def test_it_never_emits_a_key_outside_crr_v15_even_with_post_2019_figures_known() -> None:
    resource = manchester_resource(SpaceSettings(comment="x"))
    assert set(resource) <= CRR15_RESOURCE_KEYS
    for share in resource["shares"].values():
        assert set(share) <= {"type", "assigned_vos", "max_walltime_minutes", "max_memory_gb"}
    for accesspoint in resource["accesspoints"].values():
        assert set(accesspoint) <= {"flavour", "version", "endpoint_urls", "shares"}


def test_the_document_starts_with_computingresources_and_keeps_the_spec_field_order() -> None:
    document = build_space_document(manchester(SpaceSettings(comment="x")), now=NOW)
    assert document is not None
    assert list(document) == ["computingresources"]
    assert list(resource_of(document, MANCHESTER_SPACE)) == [
        "site", "type", "jobmanager", "jobmanager_version", "status", "number_logical_cpus",
        "capacity_hs06", "os", "max_walltime_minutes", "max_memory_gb", "assigned_vos",
        "comment", "publication_time", "shares", "accesspoints",
    ]  # fmt: skip


@pytest.mark.parametrize("version", ["HTCondor 9.0", "", None])
def test_an_unrecognised_daemon_gives_a_document_the_validator_refuses(version: str | None) -> None:
    document = build_space_document(space([factory("f1", daemon_version=version)]), now=NOW)
    rules = {issue.rule for issue in validate_document(document)}
    assert rules == {"enum"}


def test_it_ignores_figures_that_are_not_finite_numbers() -> None:
    inputs = space(
        [
            factory("f1", max_processors=8, max_hs06=80.0),
            factory("f2", max_processors=math.inf, max_hs06=math.nan),
        ],
        [
            machinetype("lhcb", "f1", max_wallclock_seconds=3600, time_received=NOW - 100),
            machinetype("lhcb", "f2", max_wallclock_seconds=math.inf, bytes_per_processor=math.nan),
        ],
    )
    document = build_space_document(inputs, now=NOW)
    resource = resource_of(document)
    assert (resource["number_logical_cpus"], resource["capacity_hs06"]) == (8, 80.0)
    assert resource["shares"]["lhcb"]["max_walltime_minutes"] == 60
    assert validate_document(document) == []
