from __future__ import annotations

import os

import pytest

from factories.mjf import (
    JobFeatures,
    MachineFeatures,
    ShutdownCode,
    ShutdownMessage,
    heartbeat_time,
    read_features,
    read_shutdown_message,
    read_vac_heartbeat,
    vac_is_abort,
    vcycle_is_abort,
    write_features,
    write_vac_heartbeat,
)


def test_there_are_seven_code_families_each_with_a_text():
    assert [int(c) for c in ShutdownCode] == [100, 200, 300, 400, 500, 600, 700]
    assert ShutdownCode.NO_WORK.text == "No more work available from the task queue"
    assert all(c.text for c in ShutdownCode)


@pytest.mark.parametrize(
    ("code", "family"),
    [
        (300, ShutdownCode.NO_WORK),
        (301, ShutdownCode.NO_WORK),
        (799, ShutdownCode.TRANSIENT_ERROR),
        (99, None),
        (800, None),
    ],
)
def test_any_code_maps_to_its_family(code, family):
    assert ShutdownCode.family(code) is family


def test_it_reads_the_first_line_of_the_shutdown_message_and_its_ctime(tmp_path):
    (tmp_path / "shutdown_message").write_text("300 Nothing to do\nmore detail\n")
    message = read_shutdown_message(tmp_path)
    assert message.line == "300 Nothing to do"
    assert message.code == 300 and message.family is ShutdownCode.NO_WORK
    assert message.time == int(os.stat(tmp_path / "shutdown_message").st_ctime)


def test_a_missing_or_free_text_shutdown_message_is_handled(tmp_path):
    assert read_shutdown_message(tmp_path) is None
    assert ShutdownMessage("Killed by the site").code is None


def test_vac_and_vcycle_disagree_on_what_an_abort_is():
    assert vac_is_abort(700) and vac_is_abort(300) and not vac_is_abort(200)
    assert not vcycle_is_abort(700, lived_seconds=9000, fizzle_seconds=600)
    assert vcycle_is_abort(200, lived_seconds=100, fizzle_seconds=600)
    assert vcycle_is_abort(500, lived_seconds=9000, fizzle_seconds=600)


def test_vac_heartbeat_files_round_trip(tmp_path):
    path = tmp_path / "heartbeat"
    write_vac_heartbeat(path, 84211, 97.43)
    assert path.read_text() == "84211 97.4"
    beat = read_vac_heartbeat(path)
    assert (beat.cpu_seconds, beat.cpu_percentage) == (84211, 97.4)
    assert beat.time == heartbeat_time(path)
    assert heartbeat_time(tmp_path / "none") is None


def test_machinefeatures_are_written_one_file_per_key(tmp_path):
    write_features(tmp_path / "mf", MachineFeatures(8, 1543086400, hs06=100.0).files())
    assert read_features(tmp_path / "mf") == {
        "hs06": "100.0",
        "jobslots": "1",
        "log_cores": "8",
        "phys_cores": "8",
        "shutdowntime": "1543086400",
        "total_cpu": "8",
    }


def test_jobfeatures_follow_vac_defaults(tmp_path):
    features = JobFeatures("c9e8d7f6", processors=2, jobstart_secs=1000, shutdowntime_job=87400)
    write_features(tmp_path / "jf", features.files())
    got = read_features(tmp_path / "jf")
    assert got["allocated_cpu"] == got["allocated_CPU"] == "2"
    assert got["job_id"] == "c9e8d7f6"
    assert got["wall_limit_secs"] == "86400" and got["cpu_limit_secs"] == "172800"
    assert got["max_rss_bytes"] == str(2 * 2048 * 1048576)
    assert got["mem_limit_MB"] == "4294" and got["cpufactor_lrms"] == "1.0"
    assert "hs06_job" not in got
