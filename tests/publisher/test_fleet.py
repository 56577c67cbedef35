"""A synthetic fleet: many sites, spaces and factories, Vac and Vcycle, every document
checked against the v1.5 and integrity rules, and totals checked against direct sums."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from publisher import (
    FactoryStatus,
    MachinetypeStatus,
    SpaceInputs,
    build_site_document,
    build_space_document,
    validate_document,
)

NOW = 1700000000
VOS = ("lhcb", "atlas", "cms", "alice", "dteam", "gridpp")


def synthetic_space(rng: random.Random, site: str, index: int) -> SpaceInputs:
    vcycle = index % 3 == 2
    name = f"{'vcycle' if vcycle else 'vac'}{index:02d}.{site.lower()}.example.ac.uk"
    daemon = "Vcycle 03.00+pre06 vcycled" if vcycle else f"Vac 03.0{rng.randint(0, 1)} vacd-factory"
    factories = [
        FactoryStatus(
            site=site,
            space=name,
            factory=f"f{n:03d}.{name}",
            time_received=NOW - rng.randint(0, 86400),
            daemon_version=daemon,
            max_processors=rng.choice([None, 8, 16, 32, 64.0])
            if vcycle
            else rng.choice([8, 16, 32, 64]),
            max_hs06=rng.choice([None, 0.0]) if vcycle else rng.uniform(50, 1000),
        )
        for n in range(rng.randint(1, 40))
    ]
    machinetypes = [
        MachinetypeStatus(
            site=site,
            space=name,
            factory=factory.factory,
            machinetype=f"{vo}-vm",
            time_received=factory.time_received,
            fqan=f"/{vo}/Role=NULL/Capability=NULL",
            max_wallclock_seconds=rng.choice([None, 3600, 86400, 172800]),
            bytes_per_processor=rng.choice([None, 2147483648, 4 * 10**9]),
            max_processors=rng.choice([None, 1, 8]),
        )
        for factory in factories
        for vo in rng.sample(VOS, rng.randint(0, 3))
    ]
    return SpaceInputs(site=site, space=name, factories=factories, machinetypes=machinetypes)


def fleet(seed: int) -> list[list[SpaceInputs]]:
    rng = random.Random(seed)
    sites = [f"UKI-SITE{n}" for n in range(12)]
    return [[synthetic_space(rng, site, i) for i in range(rng.randint(1, 5))] for site in sites]


def test_every_document_of_a_synthetic_fleet_is_valid_and_adds_up() -> None:
    checked = 0
    for site_spaces in fleet(seed=2019):
        site_document = build_site_document(site_spaces, now=NOW)
        assert validate_document(site_document) == []
        resources = site_document["computingresources"]
        assert isinstance(resources, dict)
        for inputs in site_spaces:
            document = build_space_document(inputs, now=NOW)
            assert validate_document(document) == []
            resource = resources[inputs.space]
            assert document == {"computingresources": {inputs.space: resource}}
            assert isinstance(resource, dict)
            cpus = sum(f.max_processors or 0 for f in inputs.factories)
            hs06 = sum(f.max_hs06 or 0.0 for f in inputs.factories)
            assert resource["number_logical_cpus"] == round(cpus)
            assert resource["capacity_hs06"] == round(hs06, 2)
            shares = resource.get("shares", {})
            assert isinstance(shares, dict)
            assert sorted(shares) == sorted({m.machinetype for m in inputs.machinetypes})
            checked += 1
    assert checked >= 12


names = st.text(alphabet="abcdefghij-.0123456789", min_size=1, max_size=12)
numbers = st.none() | st.integers(0, 10**6) | st.floats(0, 10**6, allow_nan=False)


@st.composite
def spaces(draw: st.DrawFn) -> SpaceInputs:
    space = draw(names)
    factories = draw(
        st.lists(
            st.builds(
                FactoryStatus,
                site=st.just("UKI-X"),
                space=st.just(space),
                factory=names,
                time_received=st.integers(NOW - 100000, NOW),
                daemon_version=st.sampled_from(["Vac 03.01 vacd-factory", "Vcycle 3 vcycled"]),
                max_processors=numbers,
                max_hs06=numbers,
            ),
            max_size=6,
        )
    )
    machinetypes = draw(
        st.lists(
            st.builds(
                MachinetypeStatus,
                site=st.just("UKI-X"),
                space=st.just(space),
                factory=names,
                machinetype=names,
                time_received=st.integers(NOW - 100000, NOW),
                fqan=st.none() | names.map(lambda vo: f"/{vo}/Role=NULL"),
                max_wallclock_seconds=numbers,
                bytes_per_processor=numbers,
            ),
            max_size=6,
        )
    )
    return SpaceInputs(site="UKI-X", space=space, factories=factories, machinetypes=machinetypes)


@settings(max_examples=150, deadline=None)
@given(spaces())
def test_any_space_heard_in_the_window_gives_a_valid_document(inputs: SpaceInputs) -> None:
    document = build_space_document(inputs, now=NOW)
    heard = [f for f in inputs.factories if f.time_received >= NOW - 86400]
    if heard:
        assert validate_document(document) == []
    else:
        assert document is None
