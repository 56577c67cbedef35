from __future__ import annotations

from dataclasses import replace

import pytest

from probes.builtin import BUILTIN_PROBES, shutdown_code
from probes.inputs import (
    CapacitySample,
    DaemonVersionInput,
    FactoryState,
    FinishedMachine,
    MachinetypeOutcomes,
    SpaceState,
)
from probes.model import ProbeError, TargetKind
from probes.nagios import Status, Thresholds

NOW = 1543000100.0

# The spec's Vac 03.00.01 factory_status, as stored (with time_received added).
MANCHESTER = {
    "load_average": 5.98, "root_disk_avail_inodes": 3200000, "time_sent": 1543000000,
    "factory_heartbeat_time": 1542999993, "mjf_heartbeat_time": 1542999993,
    "root_disk_avail_kb": 10485760, "daemon_version": "Vac 03.00.01 vacd-factory",
    "space": "vac01.tier2.hep.manchester.ac.uk", "factory": "vm123.tier2.hep.manchester.ac.uk",
    "swap_used_kb": 76544, "swap_free_kb": 8312060, "responder_heartbeat_time": 1542999993,
    "max_processors": 8, "metadata_heartbeat_time": 1542999993, "time_received": 1543000001,
    "message_type": "factory_status",
}  # fmt: skip


def run(test, inputs, now=NOW, **thresholds):
    probe = BUILTIN_PROBES[test]
    definition = probe.definition(thresholds=thresholds) if thresholds else probe.definition()
    return probe.run(inputs, now, definition)


def perf(result):
    return {p.label: p.value for p in result.perfdata}


def factory(**changes):
    return replace(FactoryState.from_mapping(MANCHESTER), **changes)


def test_every_builtin_probe_is_named_in_the_vacmon_namespace():
    names = {p.definition().metric for p in BUILTIN_PROBES.values()}
    assert "uk.ac.gridpp.vacmon.Space-Heartbeat" in names
    outcome = BUILTIN_PROBES["Machinetype-Outcome"].definition(fqan="/lhcb/Role=NULL")
    assert outcome.metric == "uk.ac.gridpp.vacmon.Machinetype-Outcome-/lhcb/Role=NULL"
    assert outcome.target_kind == TargetKind.SPACE


def test_it_builds_factory_state_from_a_normalised_message():
    state = FactoryState.from_mapping(MANCHESTER)
    assert (state.factory, state.max_processors, state.time_sent) == (
        "vm123.tier2.hep.manchester.ac.uk",
        8,
        1543000000,
    )


@pytest.mark.parametrize(
    "change", [{"load_average": "high"}, {"max_processors": True}, {"time_received": None}]
)
def test_it_rejects_a_factory_state_with_bad_fields(change):
    with pytest.raises(ProbeError):
        FactoryState.from_mapping({**MANCHESTER, **change})


def test_a_fresh_factory_heartbeat_is_ok():
    result = run("Factory-Heartbeat", factory())
    assert result.status == Status.OK
    assert perf(result) == {"heartbeat_age": 7, "silence": 99}


@pytest.mark.parametrize(
    ("silence", "status"), [(599, Status.OK), (601, Status.WARNING), (1801, Status.CRITICAL)]
)
def test_a_silent_factory_goes_warning_then_critical(silence, status):
    assert run("Factory-Heartbeat", factory(), now=1543000001 + silence).status == status


def test_a_factory_reporting_a_stale_heartbeat_is_critical_like_check_vacd():
    result = run("Factory-Heartbeat", factory(factory_heartbeat_time=1543000000 - 700))
    assert result.status == Status.CRITICAL
    assert "heartbeat_age 700 s" in result.summary


def test_a_factory_without_heartbeat_time_is_unknown():
    assert run("Factory-Heartbeat", factory(factory_heartbeat_time=None)).status == Status.UNKNOWN


def test_a_space_lives_while_one_factory_is_heard():
    stale = factory(factory="f2", time_received=NOW - 5000)
    result = run("Space-Heartbeat", SpaceState("vac01", [factory(), stale]))
    assert result.status == Status.OK
    assert perf(result) == {"silence": 99, "factories": 2, "factories_fresh": 1}


def test_a_space_with_no_factory_heard_is_critical():
    assert run("Space-Heartbeat", SpaceState("vac01", [])).status == Status.CRITICAL
    old = SpaceState("vac01", [factory(time_received=NOW - 4000)])
    assert run("Space-Heartbeat", old).status == Status.CRITICAL


def test_a_healthy_factory_reports_every_figure():
    result = run("Factory-Health", factory())
    assert result.status == Status.OK
    figures = perf(result)
    assert figures["load_per_processor"] == pytest.approx(5.98 / 8)
    assert figures["swap_used"] == pytest.approx(100 * 76544 / (76544 + 8312060), abs=1e-6)
    assert figures["responder_heartbeat_age"] == 7


@pytest.mark.parametrize(
    ("change", "status", "label"),
    [
        ({"root_disk_avail_kb": 500000}, Status.WARNING, "root_disk_avail"),
        ({"root_disk_avail_kb": 100000}, Status.CRITICAL, "root_disk_avail"),
        ({"root_disk_avail_inodes": 500}, Status.CRITICAL, "root_inodes_avail"),
        ({"load_average": 20.0}, Status.WARNING, "load_per_processor"),
        ({"swap_used_kb": 9000000, "swap_free_kb": 100}, Status.CRITICAL, "swap_used"),
        ({"responder_heartbeat_time": 1542999000}, Status.CRITICAL, "responder_heartbeat_age"),
    ],
)
def test_factory_health_flags_the_failing_figure_first(change, status, label):
    result = run("Factory-Health", factory(**change))
    assert result.status == status
    assert result.summary.split(": ", 1)[1].startswith(label)


def test_factory_health_ignores_absent_swap_and_vcycle_zero_heartbeats():
    state = factory(swap_used_kb=0, swap_free_kb=0, mjf_heartbeat_time=0)
    labels = set(perf(run("Factory-Health", state)))
    assert "swap_used" not in labels
    assert "mjf_heartbeat_age" not in labels


def test_factory_health_without_figures_is_unknown():
    bare = FactoryState("f", "s", NOW)
    assert run("Factory-Health", bare).status == Status.UNKNOWN


def machines(*messages):
    return MachinetypeOutcomes("lhcb", [FinishedMachine(m) for m in messages], 6 * 3600)


@pytest.mark.parametrize(
    ("message", "code"),
    [("300 Nothing to do", 300), ("700 no heartbeat", 700), ("  200 ok", 200), ("done", None),
     (None, None), ("3000 x", None)],
)  # fmt: skip
def test_it_reads_the_shutdown_code(message, code):
    assert shutdown_code(message) == code


def test_machinetype_outcome_counts_5xx_6xx_7xx_as_failed():
    outcomes = machines(
        "200 ok", "200 ok", "300 Nothing to do", "500 bad site", "600 app", "700 lm"
    )
    result = run("Machinetype-Outcome", outcomes)
    # 50% sits on the edge of the critical range ~:50, which Nagios counts as inside.
    assert result.status == Status.WARNING
    assert perf(result)["failed"] == pytest.approx(50.0)
    assert perf(result)["fizzled"] == pytest.approx(100 / 6, abs=1e-6)
    assert result.summary == "lhcb over 6 h: 3/6 failed"
    worse = machines("200 ok", "300 Nothing to do", "500 bad site", "600 app", "700 lm")
    assert run("Machinetype-Outcome", worse).status == Status.CRITICAL


def test_machinetype_outcome_warns_when_nearly_everything_fizzles():
    outcomes = machines(*(["300 Nothing to do"] * 19), "200 ok")
    assert run("Machinetype-Outcome", outcomes).status == Status.WARNING


def test_machinetype_outcome_counts_messages_without_a_code_apart():
    result = run("Machinetype-Outcome", machines("200 ok", None, "finished"))
    assert result.status == Status.OK
    assert perf(result)["no_code"] == 2


def test_machinetype_outcome_with_no_finished_machine_is_unknown():
    result = run("Machinetype-Outcome", machines())
    assert (result.status, result.summary) == (
        Status.UNKNOWN,
        "lhcb: no machines finished in the last 6 h",
    )


@pytest.mark.parametrize(
    ("current", "previous", "status"),
    [(100, 100, Status.OK), (120, 100, Status.OK), (70, 100, Status.WARNING),
     (40, 100, Status.CRITICAL), (5, 0, Status.OK), (0, None, Status.UNKNOWN)],
)  # fmt: skip
def test_capacity_drop_against_last_week(current, previous, status):
    assert run("Space-Capacity", CapacitySample("vac01", current, previous)).status == status


def test_capacity_thresholds_are_configurable_nagios_ranges():
    sample = CapacitySample("vac01", 90, 100)
    strict = {"capacity_drop": Thresholds.parse("~:5", "~:8")}
    assert run("Space-Capacity", sample, **strict).status == Status.CRITICAL


@pytest.mark.parametrize(
    ("version", "status"),
    [
        ("Vac 03.00.01 vacd-factory", Status.WARNING),
        ("Vac 03.01+pre00 vacd-factory", Status.OK),
        ("Vac 03.01.00 vacd-factory", Status.OK),
        ("Vcycle 03.00+pre06 vcycled", Status.WARNING),
        ("Vcycle 03.00 vcycled", Status.OK),
        ("Vac 0.0.0 vacd-factory", Status.UNKNOWN),
        ("Boinc 1.0", Status.UNKNOWN),
        ("Vac three", Status.UNKNOWN),
        (None, Status.UNKNOWN),
    ],
)
def test_daemon_version_against_the_configured_minimum(version, status):
    info = DaemonVersionInput("f1", version, {"Vac": "03.01+pre00", "Vcycle": "03.00"})
    assert run("Factory-Version", info).status == status


def test_a_version_below_minimum_is_critical_when_so_configured():
    info = DaemonVersionInput("f1", "03.00.01", {"Vac": "03.00.02"})
    result = run("Factory-Version", info, below_minimum=Thresholds.parse(None, "0"))
    assert (result.status, perf(result)) == (Status.CRITICAL, {"below_minimum": 1})
