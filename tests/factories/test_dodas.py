from __future__ import annotations

import io
import json

import pytest

from factories.build import factory_status, machinetype_status
from factories.cli_dodas import space_messages
from factories.dodas import (
    RUNNING,
    STARTING,
    CondorMapping,
    SlotTracker,
    activity,
    load_ads,
    machinetype_of,
    slot_kind,
    snapshot,
    vo_of,
)
from factories.flavour import dodas
from factories.messages import normalise
from factories.model import HostStatus, Sender
from tests.factories import condor_ads as c

MAPPING = CondorMapping(slot_types={1: "cms-pilot", 2: "atlas-mcore"}, hs06_per_core=10.0)
SENDER = Sender(dodas(), "dodas01.example.org", "dodas-mgr.example.org", "INFN-DODAS")


def ads():
    return load_ads(io.StringIO(c.TEXT))


def by_name(name):
    return next(ad for ad in ads() if ad["Name"].startswith(name + "@"))


def test_it_reads_one_json_array_from_a_file_or_stdin():
    assert len(ads()) == 7 and load_ads("") == []
    with pytest.raises(ValueError):
        load_ads('{"Name": "x"}')


def test_slot_kinds_and_activities_follow_htcondor_states():
    assert [slot_kind(by_name(n)) for n in ("slot1", "slot1_1")] == ["partitionable", "dynamic"]
    assert activity(by_name("slot1_1")) == RUNNING
    assert activity(by_name("slot1_3")) == STARTING
    assert activity(by_name("slot1")) == "idle"


def test_dynamic_slots_share_the_machinetype_of_their_partitionable_parent():
    assert machinetype_of(by_name("slot1_2"), MAPPING) == "cms-pilot"
    assert machinetype_of(by_name("slot1"), MAPPING) == "cms-pilot"
    assert machinetype_of(by_name("slot1_2"), CondorMapping()) == "slot-type-1"


def test_a_site_attribute_names_the_machinetype_directly():
    ad = {**by_name("slot1_1"), "VacMonMachinetype": "CMS_Pilot 8core"}
    assert machinetype_of(ad, MAPPING) == "cms-pilot-8core"


def test_the_vo_comes_from_the_proxy_the_group_the_owner_or_accepted_vos():
    assert vo_of(by_name("slot1_1"), MAPPING) == "cms"
    assert vo_of(by_name("slot1_2"), MAPPING) == "cms"  # AccountingGroup
    owner_only = {k: v for k, v in by_name("slot1_3").items() if k != "AcceptedVOs"}
    assert vo_of(owner_only, CondorMapping(owner_vos={"cmspilot": "cms"})) == "cms"
    assert vo_of(by_name("slot3"), MAPPING) == "atlas"


def test_the_snapshot_counts_running_and_starting_slots_and_the_capacity():
    snap = snapshot(ads(), MAPPING, c.NOW)
    assert sorted(m.name.split("@")[0] for m in snap.machines) == ["slot1_1", "slot1_2", "slot1_3"]
    assert (snap.totals.processors, snap.totals.machines, snap.totals.hs06) == (6, 3, 60.0)
    assert snap.capacity.max_processors == 8 + 1 + 1 + 4
    cms, atlas, static = snap.machinetypes[1], snap.machinetypes[0], snap.machinetypes[2]
    assert (cms.name, cms.running_machines, cms.running_processors) == ("cms-pilot", 3, 6)
    assert cms.num_before_fizzle == 1 and cms.fqan == "/cms/Role=NULL/Capability=NULL"
    assert cms.bytes_per_processor == 2048 * 1048576
    assert (atlas.name, atlas.running_machines, atlas.fqan) == (
        "atlas-mcore",
        0,
        "/atlas/Role=NULL/Capability=NULL",
    )
    assert static.name == "slot-type-0"


def test_a_busy_slot_becomes_a_running_machine_with_its_job_details():
    snap = snapshot(ads(), MAPPING, c.NOW)
    pilot = next(m for m in snap.machines if m.name.startswith("slot1_1@"))
    assert pilot.state == "Running" and pilot.num_processors == 4
    assert pilot.uuid == "schedd.dodas.example.org#1234.0#1699990000"
    assert pilot.fqan == "/cms/Role=pilot/Capability=NULL"
    assert pilot.started_time == c.NOW - 7200 and pilot.heartbeat_time == c.NOW - 20
    assert pilot.hs06 == 40.0 and pilot.cpu_percentage == 392.0


def test_the_space_messages_pass_the_servers_parser_with_vos():
    messages = space_messages(ads(), SENDER, MAPPING, c.NOW, HostStatus())
    parsed = [normalise(json.loads(json.dumps(m)), received=c.NOW) for m in messages]
    assert [p.message_type for p in parsed] == ["factory_status"] + ["machinetype_status"] * 3
    assert {p.machinetype: p.vo for p in parsed[1:]} == {
        "atlas-mcore": "atlas",
        "cms-pilot": "cms",
        "slot-type-0": "cms",
    }
    assert parsed[0].get("max_processors") == 14 and parsed[0].get("running_hs06") == 60.0
    assert messages[0]["daemon_version"] == "DODAS 1.0.0 condor-adapter"


def test_machine_status_of_a_slot_passes_the_parser():
    snap = snapshot(ads(), MAPPING, c.NOW)
    from factories.build import machine_status

    for machine in snap.machines:
        normalise(machine_status(SENDER, now=c.NOW, machine=machine), received=c.NOW)


def test_a_slot_that_disappears_between_polls_is_reported_as_finished():
    tracker = SlotTracker()
    first = snapshot(ads(), MAPPING, c.NOW).machines
    assert tracker.finished(first, c.NOW) == []
    later = [m for m in first if not m.name.startswith("slot1_2@")]
    gone = tracker.finished(later, c.NOW + 60)
    assert [m.name for m in gone] == [f"slot1_2@{c.WN01}"]
    assert gone[0].finished and gone[0].stopped_time == c.NOW + 60


def test_an_empty_pool_reports_zero_capacity():
    snap = snapshot([], MAPPING, c.NOW)
    built = factory_status(
        SENDER, now=c.NOW, host=HostStatus(), running=snap.totals, capacity=snap.capacity
    )
    assert built["max_processors"] == 0 and snap.machinetypes == []
    assert machinetype_status  # the builder is shared with Vac and Vcycle
