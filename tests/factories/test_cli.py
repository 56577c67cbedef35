from __future__ import annotations

import json
import socket
import time

from factories.cli import main, read_messages
from factories.messages import parse_datagram
from tests import samples
from tests.factories import condor_ads


def listener():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    return sock


def drain(sock):
    out = []
    sock.settimeout(0.3)
    try:
        while True:
            out.append(sock.recvfrom(65535)[0])
    except TimeoutError:
        return out


def test_read_messages_takes_json_lines_or_an_array(tmp_path):
    lines = f"{samples.VAC_FACTORY}\n\n{samples.VCYCLE_FACTORY}\n"
    array = f"[{samples.VAC_FACTORY}, {samples.VCYCLE_FACTORY}]"
    for text in (lines, array):
        path = tmp_path / "m.json"
        path.write_text(text)
        with open(path) as handle:
            assert [m["space"] for m in read_messages(handle)] == [
                "vac01.tier2.hep.manchester.ac.uk",
                "vcycle02.cern.ch",
            ]


def test_send_delivers_a_file_of_messages_over_udp(tmp_path):
    sock = listener()
    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(samples.ALL))
    try:
        code = main(["send", str(path), "--target", f"udp://127.0.0.1:{sock.getsockname()[1]}"])
        got = drain(sock)
    finally:
        sock.close()
    assert code == 0 and len(got) == len(samples.ALL)
    assert [json.loads(d) for d in got] == [json.loads(s) for s in samples.ALL]


def simulate_to_a_socket(*args: str) -> tuple[int, list[bytes]]:
    """Run `simulate` with `args` against a UDP socket of ours; its exit code and datagrams."""
    sock = listener()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    target = f"udp://127.0.0.1:{sock.getsockname()[1]}"
    try:
        code = main(["simulate", *args, "--target", target])
        return code, drain(sock)
    finally:
        sock.close()


def test_simulate_streams_a_fleet_to_a_udp_target(capsys):
    code, got = simulate_to_a_socket(
        *("--sites", "2", "--factories", "2", "--machinetypes", "2"),
        *("--duration", "1", "--speed", "600"),
    )
    assert code == 0 and got
    types = {parse_datagram(d, received=int(time.time())).message_type for d in got}
    assert "factory_status" in types and "machinetype_status" in types
    assert "sent" in capsys.readouterr().err


def test_dodas_prints_the_space_messages(tmp_path, capsys):
    path = tmp_path / "ads.json"
    path.write_text(condor_ads.TEXT)
    code = main(
        [
            "dodas",
            str(path),
            "--space",
            "dodas01.example.org",
            "--factory",
            "mgr.example.org",
            "--slot-type",
            "1=cms-pilot",
            "--print",
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [json.loads(line)["message_type"] for line in lines][:2] == [
        "factory_status",
        "machinetype_status",
    ]


def test_simulate_in_real_time_sends_every_factory_in_its_first_second():
    code, got = simulate_to_a_socket(
        *("--sites", "2", "--factories", "2", "--machinetypes", "1"),
        *("--duration", "0.1", "--cycle", "3600"),
    )
    statuses = [parse_datagram(d, received=int(time.time())) for d in got]
    factories = {m.factory for m in statuses if m.message_type == "factory_status"}
    assert code == 0 and len(factories) == 4
