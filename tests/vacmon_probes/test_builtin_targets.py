"""Built-in probes find their targets and inputs in the store and run through the tasks."""

from __future__ import annotations

import time

import pytest

from tests.builders import factory_status, machine_status, machinetype_status
from vacmon.models import ProbeDefinition, ProbeResult
from vacmon.probes import dispatch, runner, tasks
from vacmon.probes.targets import TargetRef, all_targets
from vacmon.store import get_store

pytestmark = pytest.mark.django_db

NOW = int(time.time())
SPACE = "vac01.example.ac.uk"


def metric(test: str) -> str:
    return f"uk.ac.gridpp.vacmon.{test}"


def seed_space(received: int = NOW - 60, factory: str = "f1.example.ac.uk", **fields) -> None:
    get_store().write(
        [
            factory_status(
                received=received, factory=factory, factory_heartbeat_time=received - 10, **fields
            )
        ]
    )


def run_space(test: str, space: str = SPACE, flavour: str = "VAC") -> list[ProbeResult]:
    definition = ProbeDefinition.objects.get(metric=metric(test))
    ref = TargetRef(definition.pk, "space", space, flavour, "EXAMPLE-SITE")
    return runner.run_target(ref, due_at=time.time())


def test_built_in_probes_target_every_space_and_factory_seen():
    seed_space(factory="f1.example.ac.uk")
    seed_space(factory="f2.example.ac.uk")
    get_store().write(
        [
            factory_status(
                received=NOW - 30,
                factory="vc1.cern.ch",
                space="vcycle02.cern.ch",
                site="CERN-PROD",
                daemon_version="Vcycle 03.00+pre06 vcycled",
            )
        ]
    )
    pairs = {(row.builtin, ref.hostname, ref.flavour) for row, ref in all_targets(NOW)}
    assert ("Space-Heartbeat", SPACE, "VAC") in pairs
    assert ("Space-Heartbeat", "vcycle02.cern.ch", "VCYCLE") in pairs
    assert ("Factory-Heartbeat", "f2.example.ac.uk", "VAC-FACTORY") in pairs
    assert ("Factory-Heartbeat", "vc1.cern.ch", "VCYCLE-FACTORY") in pairs
    # Factory-Version ships disabled: it needs minimum versions first.
    assert not any(test == "Factory-Version" for test, _, _ in pairs)


def test_space_heartbeat_is_ok_while_a_factory_reports():
    seed_space()
    (found,) = run_space("Space-Heartbeat")
    assert found.status == "OK"
    assert "1/1 factories" in found.summary
    assert found.site == "EXAMPLE-SITE"


def test_a_silent_space_goes_critical():
    seed_space(received=NOW - 7200)
    (found,) = run_space("Space-Heartbeat")
    assert found.status == "CRITICAL"


def test_factory_heartbeat_reads_the_latest_factory_status():
    seed_space(received=NOW - 60)
    definition = ProbeDefinition.objects.get(metric=metric("Factory-Heartbeat"))
    ref = TargetRef(definition.pk, "factory", "f1.example.ac.uk", "VAC-FACTORY", "EXAMPLE-SITE")
    (found,) = tasks.service.run_probe(ref, None)
    assert found.status == "OK"
    assert {p["label"] for p in found.perfdata} == {"heartbeat_age", "silence"}


def test_machinetype_outcome_publishes_one_metric_per_vo_fqan():
    seed_space()
    shutdowns = ["300 Nothing to do", "500 Site problem", "700 No heartbeat", "200 Success"]
    get_store().write(
        [
            machine_status(
                received=NOW - 600 + i,
                machine=f"m{i}.example.ac.uk",
                shutdown_time=NOW - 700 + i,
                shutdown_message=text,
            )
            for i, text in enumerate(shutdowns)
        ]
        + [
            machinetype_status(
                received=NOW - 100,
                machinetype="lhcb",
                shutdown_machine="m0.example.ac.uk",
                shutdown_time=NOW - 700,
                shutdown_message="300 Nothing to do",
            )
        ]
    )
    (found,) = run_space("Machinetype-Outcome")
    assert found.metric == metric("Machinetype-Outcome-/lhcb/Role=NULL")
    assert found.vo == "lhcb"
    # 2 of 4 failed (5xx, 7xx); the machinetype_status repeat of m0 is not counted again.
    # 50 % is past the warning range ~:20 but still inside the critical range ~:50.
    perf = {p["label"]: p["value"] for p in found.perfdata}
    assert perf["failed"] == 50.0
    assert perf["finished"] == 4
    assert found.status == "WARNING"


def test_space_capacity_compares_with_a_week_ago():
    week = 7 * 86400
    seed_space(received=NOW - week - 60, max_processors=100)
    seed_space(received=NOW - 60, max_processors=40)
    (found,) = run_space("Space-Capacity")
    assert found.status == "CRITICAL"
    assert "60.0% drop" in found.summary


def test_thresholds_stored_on_the_definition_override_the_defaults():
    seed_space(received=NOW - 700)
    ProbeDefinition.objects.filter(metric=metric("Space-Heartbeat")).update(
        thresholds={"silence": {"warning": "~:3600", "critical": "~:7200"}}
    )
    (found,) = run_space("Space-Heartbeat")
    assert found.status == "OK"


def test_the_beat_hands_each_slot_out_once():
    seed_space()
    sent: list[tuple[TargetRef, float]] = []
    first = dispatch.dispatch(NOW, lambda ref, due: sent.append((ref, due)))
    again = dispatch.dispatch(NOW, lambda ref, due: sent.append((ref, due)))
    assert again.runs == []
    assert all(first.start < due <= first.horizon for _, due in sent)
    # Over one full interval from the first tick, every target is handed out exactly once.
    for tick in range(1, 60):
        dispatch.dispatch(NOW + 60 * tick, lambda ref, due: sent.append((ref, due)))
    keys = [ref.key for ref, due in sent if due <= first.start + 3600]
    hourly = {ref.key for row, ref in all_targets(NOW) if row.interval == 3600}
    assert hourly and all(keys.count(key) == 1 for key in hourly)
