from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from factories.accounting import (
    ApelError,
    ApelUploader,
    ApelWriter,
    global_user_name,
    render,
    vac_fields,
    vac_file_name,
    vcycle_fields,
    vcycle_file_name,
)
from factories.model import Sender
from tests.factories import golden as g
from tests.factories.httpserver import Recorder, serve

VAC_RECORD = """APEL-individual-job-message: v0.3
Site: UKI-NORTHGRID-MAN-HEP
SubmitHost: vac01.tier2.hep.manchester.ac.uk/vac-vm123.tier2.hep.manchester.ac.uk
LocalJobId: c9e8d7f6-1a2b-4c3d-8e9f-0a1b2c3d4e5f
LocalUserId: vm123.tier2.hep.manchester.ac.uk
Queue: atlas
GlobalUserName: /DC=uk/DC=ac/DC=manchester/DC=hep/DC=tier2/DC=vac01
FQAN: /atlas/Role=production/Capability=NULL
WallDuration: 86355
CpuDuration: 84211
Processors: 1
NodeCount: 1
InfrastructureDescription: APEL-VAC
InfrastructureType: grid
StartTime: 1542913600
EndTime: 1542999955
MemoryReal: 2097152
MemoryVirtual: 2097152
ServiceLevelType: HEPSPEC
ServiceLevel: 12.5
%%
"""

# APEL's job record rules (spec apel-ssm.md 1.1, 1.3, 1.4).
MANDATORY = ("Site", "LocalJobId", "WallDuration", "CpuDuration", "StartTime", "EndTime")
INTS = ("WallDuration", "CpuDuration", "Processors", "NodeCount", "MemoryReal", "MemoryVirtual")
KNOWN = set(
    [
        "Site",
        "SubmitHost",
        "MachineName",
        "Queue",
        "LocalJobId",
        "LocalUserId",
        "GlobalUserName",
        "FQAN",
        "VO",
        "VOGroup",
        "VORole",
        "WallDuration",
        "CpuDuration",
        "Processors",
        "NodeCount",
        "StartTime",
        "EndTime",
        "InfrastructureDescription",
        "InfrastructureType",
        "MemoryReal",
        "MemoryVirtual",
        "ServiceLevelType",
        "ServiceLevel",
    ]
)


def check_apel_rules(text: str) -> dict[str, str]:
    assert text.isascii()
    header, _, body = text.strip().partition("\n")
    assert header == "APEL-individual-job-message: v0.3"
    chunks = [c for c in body.split("%%") if c.strip()]
    assert len(chunks) == 1
    fields: dict[str, str] = {}
    for line in chunks[0].strip().splitlines():
        key, sep, value = line.partition(":")
        assert sep, f"line without ':' {line!r}"
        fields[key.strip()] = value.strip()
    assert set(fields) <= KNOWN
    for name in MANDATORY:
        assert fields.get(name, "").lower() not in ("", "none", "null"), name
    for name in INTS:
        if name in fields:
            assert 0 <= int(fields[name]) <= 2147483647, name
    for name in ("StartTime", "EndTime"):
        int(fields[name])  # integer epoch seconds
    assert int(fields["EndTime"]) >= int(fields["StartTime"])
    assert fields["ServiceLevelType"].lower() in ("hepspec", "si2k", "hepscore23")
    float(fields["ServiceLevel"])
    return fields


def test_the_vac_record_is_exactly_what_vac_writes():
    assert render(vac_fields(g.VAC_SENDER, g.VAC_PUSHED)) == VAC_RECORD


def test_the_vac_record_follows_apels_field_rules():
    fields = check_apel_rules(render(vac_fields(g.VAC_SENDER, g.VAC_PUSHED)))
    assert fields["ServiceLevel"] == "12.5"


def test_the_vac_service_level_is_per_processor_and_one_when_unknown():
    eight = replace(g.VAC_PUSHED, num_processors=8, hs06=100.0)
    assert dict(vac_fields(g.VAC_SENDER, eight))["ServiceLevel"] == "12.5"
    assert dict(vac_fields(g.VAC_SENDER, replace(g.VAC_PUSHED, hs06=None)))["ServiceLevel"] == "1.0"


def test_vac_writes_no_record_for_a_machine_that_fizzled_or_never_started():
    fizzled = replace(g.VAC_PUSHED, heartbeat_time=g.VAC_PUSHED.started_time + 599)
    assert vac_fields(g.VAC_SENDER, fizzled) is None
    assert vac_fields(g.VAC_SENDER, replace(g.VAC_PUSHED, started_time=None)) is None


def test_the_vcycle_record_has_vcycles_differences():
    text = render(vcycle_fields(g.VCYCLE_SENDER, g.VCYCLE_MACHINE))
    fields = check_apel_rules(text)
    assert fields["SubmitHost"] == "vcycle02.cern.ch/vcycle-vcycle-manager01.cern.ch"
    assert fields["LocalUserId"] == "vcycle-lhcb-a8d7s6f5g4"
    assert fields["WallDuration"] == fields["CpuDuration"] == "4150"
    assert fields["Processors"] == "8"
    assert fields["MemoryReal"] == fields["MemoryVirtual"] == "16777216"
    assert fields["InfrastructureDescription"] == "APEL-VCYCLE"
    assert fields["EndTime"] == str(g.VCYCLE_MACHINE.stopped_time)
    assert fields["ServiceLevel"] == "80.0"


def test_vcycle_omits_memory_when_unknown():
    fields = dict(vcycle_fields(g.VCYCLE_SENDER, replace(g.VCYCLE_MACHINE, max_rss_bytes=None)))
    assert "MemoryReal" not in fields


def test_the_apel_loader_accepts_our_records():
    parse = pytest.importorskip("apel.parse")
    now = datetime(2018, 11, 24, tzinfo=UTC)
    for text in (
        render(vac_fields(g.VAC_SENDER, g.VAC_PUSHED)),
        render(vcycle_fields(g.VCYCLE_SENDER, g.VCYCLE_MACHINE)),
    ):
        result = parse.parse_message(text, now)
        assert result.ok, (result.message_error, result.errors)


def test_values_apel_cannot_carry_are_refused():
    with pytest.raises(ApelError):
        render(vac_fields(g.VAC_SENDER, replace(g.VAC_PUSHED, uuid=None)))
    with pytest.raises(ApelError):
        render(vac_fields(g.VAC_SENDER, replace(g.VAC_PUSHED, fqan="/atlas/Rôle")))


def test_global_user_name_reverses_the_space():
    assert global_user_name("a.b.c") == "/DC=c/DC=b/DC=a"


def test_vac_file_names_are_utc_time_plus_eight_fraction_digits():
    assert vac_file_name(1543000000.123456) == ("20181123", "19064012345600")


def test_vcycle_file_names_use_local_time_and_up_to_eight_digits():
    day, name = vcycle_file_name(1543000000.25)
    assert day == time.strftime("%Y%m%d", time.localtime(1543000000.25))
    assert name == time.strftime("%H%M%S", time.localtime(1543000000)) + "25"


def writer(tmp_path, sender=g.VAC_SENDER):
    return ApelWriter(sender, daemon_dir=tmp_path, clock=lambda: 1543000000.123456)


def test_vac_writes_archive_and_outgoing_when_site_and_hs06_are_known(tmp_path):
    paths = writer(tmp_path).write(g.VAC_PUSHED)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "apel-archive/20181123/19064012345600",
        "apel-outgoing/20181123/19064012345600",
    ]
    assert all(p.read_text() == VAC_RECORD for p in paths)
    assert list((tmp_path / "tmp").iterdir()) == []  # written by rename


def test_vac_keeps_only_an_archive_copy_without_hs06_or_site(tmp_path):
    no_hs06 = writer(tmp_path / "a").write(replace(g.VAC_PUSHED, hs06=None))
    no_site = writer(tmp_path / "b", Sender(g.VAC_SENDER.flavour, g.VAC_SPACE, g.VAC_FACTORY))
    assert [p.parent.parent.name for p in no_hs06] == ["apel-archive"]
    assert [p.parent.parent.name for p in no_site.write(g.VAC_PUSHED)] == ["apel-archive"]


def test_two_records_in_the_same_instant_get_two_files(tmp_path):
    w = writer(tmp_path)
    first, second = w.write(g.VAC_PUSHED)[0], w.write(g.VAC_FINISHED)
    assert second and second[0] != first


def test_vcycle_writes_outgoing_whenever_the_site_is_set(tmp_path):
    w = writer(tmp_path, g.VCYCLE_SENDER)
    paths = w.write(replace(g.VCYCLE_MACHINE, hs06=None))
    assert [p.parent.parent.name for p in paths] == ["apel-archive", "apel-outgoing"]
    assert re.fullmatch(r"\d{6}\d{1,8}", paths[0].name)


def test_nothing_is_written_for_a_fizzled_machine(tmp_path):
    short = replace(g.VCYCLE_MACHINE, stopped_time=g.VCYCLE_MACHINE.started_time + 10)
    assert writer(tmp_path, g.VCYCLE_SENDER).write(short) == []


@pytest.fixture
def vacmon():
    recorder = Recorder([(202, b'{"accepted": 1}')] * 5)
    server, url = serve(recorder)
    yield recorder, url
    server.shutdown()
    server.server_close()


def test_the_uploader_posts_the_text_with_the_site_token(vacmon):
    recorder, url = vacmon
    result = ApelUploader(url, "site-tok").upload(VAC_RECORD)
    path, headers, body = recorder.requests[0]
    assert result.ok and result.status == 202
    assert path == "/api/v1/apel/messages"
    assert headers["Authorization"] == "Bearer site-tok"
    assert headers["Content-Type"].startswith("text/plain")
    assert body.decode() == VAC_RECORD


def test_the_uploader_ships_the_outgoing_directory_and_removes_what_was_taken(tmp_path, vacmon):
    _recorder, url = vacmon
    w = writer(tmp_path)
    w.write(g.VAC_PUSHED)
    w.write(g.VAC_FINISHED)
    results = ApelUploader(url, "t").upload_outgoing(w.outgoing_dir)
    assert [r.status for _p, r in results] == [202, 202]
    assert not [p for p in w.outgoing_dir.rglob("*") if p.is_file()]
    assert len(list(w.archive_dir.rglob("*"))) == 3  # the day folder and two records


def test_the_uploader_keeps_files_when_vacmon_is_unreachable(tmp_path):
    w = writer(tmp_path)
    w.write(g.VAC_PUSHED)
    results = ApelUploader("http://127.0.0.1:9", "t", timeout=1).upload_outgoing(w.outgoing_dir)
    assert results[0][1].status == 0
    assert len([p for p in w.outgoing_dir.rglob("*") if p.is_file()]) == 1
