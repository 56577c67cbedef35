"""End to end on a real cluster: datagrams through `manage.py listen_udp` into
Elasticsearch; the node stopped, messages spool to disk; the node back, the spool replays in
order ahead of newer messages and nothing is lost; the API then reads them back.

The test runs its own node (tests/store_es/private_cluster.py), because it stops it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import samples
from tests.store_es.live import unique_prefix
from tests.store_es.private_cluster import ROOT, PrivateCluster
from vacmon.store import reset_store
from vacmon.store.es.client import EsSettings, make_client

pytestmark = pytest.mark.elasticsearch

if not os.environ.get("ELASTICSEARCH_URL"):
    pytest.skip(
        "SKIPPED LOUDLY: ELASTICSEARCH_URL is not set, so the end-to-end test did not run "
        "against a real server",
        allow_module_level=True,
    )
WAIT = 180.0  # the listener backs off replays while the cluster is away (up to 40 s here)
FACTORY = json.loads(samples.VAC_FACTORY)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[PrivateCluster]:
    node = PrivateCluster(tmp_path / "es")
    node.start()
    yield node
    node.stop()


class Listener:
    def __init__(self, url: str, prefix: str, var: Path) -> None:
        port_file = var / "port"
        env = {
            **os.environ,
            "ELASTICSEARCH_URL": url,
            "ELASTICSEARCH_PREFIX": prefix,
            "ELASTICSEARCH_LIFECYCLE": "none",
            "VACMON_VAR_DIR": str(var),
            "VACMON_SPOOL_DIR": str(var / "spool"),
            "VACMON_BATCH_SECONDS": "0.1",
            "DATABASE_URL": f"sqlite:///{var}/db.sqlite3",
        }
        self.spool = var / "spool"
        manage = [sys.executable, "manage.py"]
        subprocess.run(
            [*manage, "migrate", "--noinput"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.log = var / "listener.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [
                    *manage,
                    "listen_udp",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--port-file",
                    str(port_file),
                    "--workers",
                    "0",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        wait_for(
            lambda: port_file.exists() and port_file.read_text(),
            "the listener's port",
            timeout=60,
            alive=self.process,
        )
        self.address = ("127.0.0.1", int(port_file.read_text()))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(self, name: str) -> str:
        now = int(time.time())
        self.sock.sendto(
            json.dumps(dict(FACTORY, factory=name, time_sent=now)).encode(), self.address
        )
        return name

    def spooled(self) -> int:
        files = [p for p in self.spool.rglob("*") if p.is_file() and "reject" not in p.name]
        return sum(p.read_text().count("\n") for p in files)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.sock.close()


def wait_for(condition, what: str, timeout: float = WAIT, alive=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if alive is not None and alive.poll() is not None:
            raise AssertionError(f"the listener exited while waiting for {what}")
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def stored_in_order(url: str, prefix: str) -> list[str]:
    """Factory names in the order the cluster indexed them (_seq_no of the one backing
    index), which is the order they were written in."""
    client = make_client(EsSettings(url=url))
    try:
        index = f"{prefix}factory_status"
        client.options(ignore_status=404).indices.refresh(index=index)
        body = (
            client.options(ignore_status=404)
            .search(index=index, size=1000, sort=[{"_seq_no": "asc"}], source=["factory"])
            .body
        )
    finally:
        client.close()
    return [hit["_source"]["factory"] for hit in body.get("hits", {}).get("hits", [])]


def test_datagrams_reach_a_real_cluster_spool_while_it_is_down_and_replay_in_order(
    cluster, tmp_path, settings, client
):
    prefix = unique_prefix()
    listener = Listener(cluster.url, prefix, tmp_path)
    try:
        before = [listener.send(f"before{i}.example.ac.uk") for i in range(5)]
        wait_for(lambda: stored_in_order(cluster.url, prefix) == before, "the first messages")

        cluster.halt()
        during = []
        for i in range(5):
            during.append(listener.send(f"during{i}.example.ac.uk"))
            time.sleep(0.3)  # separate batches: the spool keeps them apart and in order
        wait_for(lambda: listener.spooled() == len(during), "the spool to hold what came")

        cluster.start()
        after: list[str] = []

        def replayed() -> bool:
            after.append(listener.send(f"after{len(after)}.example.ac.uk"))
            time.sleep(0.8)
            return stored_in_order(cluster.url, prefix) == before + during + after

        wait_for(replayed, "the spool to replay ahead of newer messages")
        assert listener.spooled() == 0
    finally:
        listener.close()

    settings.ELASTICSEARCH_URL = cluster.url
    settings.ELASTICSEARCH_PREFIX = prefix
    settings.ELASTICSEARCH_LIFECYCLE = "none"
    settings.VACMON_SPOOL_DIR = str(tmp_path / "reader-spool")
    reset_store()
    try:
        answer = client.get("/api/v1/factories/?limit=1000")
    finally:
        reset_store()
    assert answer.status_code == 200
    page = answer.json()
    assert page["next"] is None  # every factory on the one page
    names = {row["factory"] for row in page["results"]}
    assert names == set(before + during + after)
