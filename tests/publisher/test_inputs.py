from __future__ import annotations

import json
import math

import pytest

from publisher import FactoryStatus, MachinetypeStatus, SpaceSettings
from publisher.inputs import vo_from_fqan
from tests.publisher.samples import (
    LEGACY_FACTORY_STATUS,
    VAC_ATLAS_STATUS,
    VAC_FACTORY_STATUS,
    VCYCLE_FACTORY_STATUS,
    stored,
)


def test_it_reads_the_capacity_fields_of_a_vac_factory_status() -> None:
    status = FactoryStatus.from_mapping(stored(VAC_FACTORY_STATUS, time_received=1543000003))
    assert (status.site, status.space, status.factory) == (
        "UKI-NORTHGRID-MAN-HEP",
        "vac01.tier2.hep.manchester.ac.uk",
        "vm123.tier2.hep.manchester.ac.uk",
    )
    assert status.time_received == 1543000003
    assert status.daemon_version == "Vac 03.00.01 vacd-factory"
    assert (status.max_processors, status.max_machines, status.max_hs06) == (8, 8, 100.0)


def test_it_reads_a_legacy_factory_through_its_old_names() -> None:
    status = FactoryStatus.from_mapping(stored(LEGACY_FACTORY_STATUS))
    assert status.daemon_version == "Vac 01.00.01 vacd-factory"
    assert status.max_processors == 16
    assert status.running_processors == 12


def test_it_keeps_a_vcycle_null_processor_limit_as_none() -> None:
    doc = stored(VCYCLE_FACTORY_STATUS, max_processors=None, max_machines=None)
    status = FactoryStatus.from_mapping(doc)
    assert status.max_processors is None
    assert status.max_machines is None


@pytest.mark.parametrize("bad", [math.nan, math.inf, True, "8", [8]])
def test_it_treats_a_capacity_that_is_not_a_finite_number_as_unknown(bad: object) -> None:
    status = FactoryStatus.from_mapping(stored(VAC_FACTORY_STATUS, max_hs06=bad, total_hs06=None))
    assert status.max_hs06 is None


@pytest.mark.parametrize("field", ["site", "space", "factory", "time_received"])
def test_it_rejects_a_factory_status_without_an_identity_field(field: str) -> None:
    doc = stored(VAC_FACTORY_STATUS)
    del doc[field]
    with pytest.raises(ValueError, match=field):
        FactoryStatus.from_mapping(doc)


def test_it_reads_the_limits_of_a_machinetype_status() -> None:
    status = MachinetypeStatus.from_mapping(stored(VAC_ATLAS_STATUS))
    assert status.machinetype == "atlas"
    assert status.max_wallclock_seconds == 86400
    assert status.bytes_per_processor == 2147483648
    assert status.max_processors == 1
    assert status.effective_vo == "atlas"


def test_it_prefers_the_stored_vo_to_the_fqan() -> None:
    status = MachinetypeStatus.from_mapping(stored(VAC_ATLAS_STATUS, vo="atlas-uk"))
    assert status.effective_vo == "atlas-uk"


@pytest.mark.parametrize(
    ("fqan", "vo"),
    [
        ("/lhcb/Role=NULL/Capability=NULL", "lhcb"),
        ("/dteam", "dteam"),
        ("lhcb", None),
        ("", None),
        ("//Role=NULL", None),
        (None, None),
    ],
)
def test_it_derives_the_vo_from_the_first_fqan_component(fqan: str | None, vo: str | None) -> None:
    assert vo_from_fqan(fqan) == vo


def test_it_has_space_settings_defaults_for_an_unconfigured_space() -> None:
    settings = SpaceSettings()
    assert settings.os == "not relevant"
    assert settings.status == "production"
    assert settings.publish is True
    assert settings.gocdb_site is None
    assert dict(settings.assigned_vos) == {}


def test_it_reads_every_sample_message_without_error() -> None:
    for sample in (VAC_FACTORY_STATUS, VCYCLE_FACTORY_STATUS, LEGACY_FACTORY_STATUS):
        assert FactoryStatus.from_mapping(stored(sample)).factory == json.loads(sample)["factory"]
