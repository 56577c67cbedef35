from __future__ import annotations

import json

import pytest

from factories.build import factory_status, machine_status, machinetype_status
from factories.flavour import vac
from factories.messages import normalise
from tests import samples
from tests.factories import golden as g


def vac_factory(**kw):
    return factory_status(
        kw.pop("sender", g.VAC_SENDER),
        now=g.NOW,
        host=g.VAC_HOST,
        running=g.VAC_RUNNING,
        capacity=kw.pop("capacity", g.VAC_CAPACITY),
    )


CASES = {
    "vac factory_status": (
        lambda: vac_factory(),
        samples.VAC_FACTORY,
    ),
    "vac machinetype_status": (
        lambda: machinetype_status(
            g.VAC_SENDER, now=g.NOW, machinetype=g.VAC_LHCB, num_machinetypes=2
        ),
        samples.VAC_MACHINETYPE,
    ),
    "vac master machinetype_status": (
        lambda: machinetype_status(
            g.VAC_MASTER_SENDER, now=g.NOW, machinetype=g.VAC_MASTER_ATLAS, num_machinetypes=2
        ),
        samples.VAC_MASTER_MACHINETYPE,
    ),
    "vac machine_status pushed at finish": (
        lambda: machine_status(g.VAC_SENDER, now=g.NOW, machine=g.VAC_PUSHED),
        samples.VAC_MACHINE_PUSHED,
    ),
    "vac machine_status of a finished slot": (
        lambda: machine_status(g.VAC_SENDER, now=g.NOW, machine=g.VAC_FINISHED),
        samples.VAC_MACHINE_FINISHED,
    ),
    "vcycle factory_status": (
        lambda: factory_status(
            g.VCYCLE_SENDER,
            now=g.NOW,
            host=g.VCYCLE_HOST,
            running=g.VCYCLE_RUNNING,
            capacity=g.VCYCLE_CAPACITY,
        ),
        samples.VCYCLE_FACTORY,
    ),
    "vcycle machinetype_status": (
        lambda: machinetype_status(
            g.VCYCLE_SENDER, now=g.NOW, machinetype=g.VCYCLE_LHCB, num_machinetypes=2
        ),
        samples.VCYCLE_MACHINETYPE,
    ),
    "vcycle machine_status": (
        lambda: machine_status(g.VCYCLE_SENDER, now=g.NOW, machine=g.VCYCLE_MACHINE),
        samples.VCYCLE_MACHINE,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_built_message_has_the_key_set_of_the_real_sender(case):
    build, sample = CASES[case]
    assert set(build()) == set(json.loads(sample))


@pytest.mark.parametrize("case", CASES)
def test_a_built_message_has_the_value_types_of_the_real_sender(case):
    build, sample = CASES[case]
    built, real = build(), json.loads(sample)
    assert {k: type(v).__name__ for k, v in built.items()} == {
        k: type(v).__name__ for k, v in real.items()
    }


@pytest.mark.parametrize("case", CASES)
def test_a_built_message_equals_the_sample_when_the_inputs_match(case):
    build, sample = CASES[case]
    assert json.loads(json.dumps(build())) == json.loads(sample)


@pytest.mark.parametrize("case", CASES)
def test_every_built_message_passes_the_servers_parser(case):
    build, _sample = CASES[case]
    message = normalise(json.loads(json.dumps(build())), received=g.NOW + 3)
    assert message.factory and not message.skewed


def test_vac_factory_status_has_38_keys_and_vcycle_27_plus_two_with_hs06():
    assert len(CASES["vac factory_status"][0]()) == 38
    assert len(CASES["vcycle factory_status"][0]()) == 29


def test_vac_version_strings_have_their_real_form():
    built = vac_factory()
    assert built["daemon_version"] == "Vac 03.00.01 vacd-factory"
    assert built["vac_version"] == built["daemon_version"]
    assert built["vacquery_version"] == "VacQuery 01.03"
    vcycle = CASES["vcycle machine_status"][0]()
    assert vcycle["daemon_version"] == "Vcycle 03.00+pre06 vcycled"
    assert vcycle["vacquery_version"] == "VacQuery 01.02"


def test_vac_without_legacy_aliases_sends_only_modern_names():
    sender = g.VAC_SENDER.__class__(vac(legacy_aliases=False), g.VAC_SPACE, g.VAC_FACTORY)
    built = vac_factory(sender=sender)
    legacy = {"vac_version", "running_cpus", "max_cpus", "total_cpus", "total_machines"}
    assert not legacy & set(built)
    assert len(built) == 38 - 8


def test_vac_without_site_or_hs06_falls_back_like_vac_master():
    sender = g.VAC_SENDER.__class__(g.VAC_SENDER.flavour, g.VAC_SPACE, g.VAC_FACTORY)
    built = factory_status(
        sender,
        now=g.NOW,
        host=g.VAC_HOST,
        running=g.VAC_RUNNING.__class__(2, 2),
        capacity=g.VAC_CAPACITY.__class__(8),
    )
    assert built["site"] == "tier2.hep.manchester.ac.uk"
    assert (built["max_hs06"], built["running_hs06"]) == (8.0, 2.0)
    assert set(built) == set(json.loads(samples.VAC_FACTORY))


def test_vcycle_without_hs06_omits_the_hs06_keys_and_without_limit_sends_nulls():
    built = factory_status(
        g.VCYCLE_SENDER,
        now=g.NOW,
        host=g.VCYCLE_HOST,
        running=g.VCYCLE_RUNNING,
        capacity=g.VCYCLE_CAPACITY.__class__(None),
    )
    assert "running_hs06" not in built and "max_hs06" not in built
    assert built["max_processors"] is None and built["max_machines"] is None
    assert len(built) == 27
    normalise(built, received=g.NOW)


def test_vac_machinetype_processor_counts_are_floats_as_vac_reads_them():
    built = CASES["vac machinetype_status"][0]()
    assert isinstance(built["running_processors"], float)
    assert built["running_cpus"] == 1.0
