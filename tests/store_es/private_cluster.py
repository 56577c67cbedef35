"""A private Elasticsearch node for a test that stops and starts it, run by the same
scripts/elasticsearch.sh as CI's shared node, with its own state folder (so its own port and
data), and stopped with its data deleted at the end."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "elasticsearch.sh"
# Starting takes 15-30 s on two shared cores; a start that takes longer is a failure.
TIMEOUT = 240


class PrivateCluster:
    def __init__(self, state_dir: Path) -> None:
        self.env = {**os.environ, "ES_STATE_DIR": str(state_dir)}
        self.env.pop("ES_PORT", None)
        self.url = ""

    def _run(self, action: str) -> str:
        done = subprocess.run(
            ["bash", str(SCRIPT), action],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if done.returncode != 0:
            raise RuntimeError(f"elasticsearch.sh {action} failed: {done.stderr[-2000:]}")
        return done.stdout

    def start(self) -> str:
        for line in self._run("start").splitlines():
            if line.startswith("ELASTICSEARCH_URL="):
                self.url = line.split("=", 1)[1]
        if not self.url:
            raise RuntimeError("elasticsearch.sh start printed no ELASTICSEARCH_URL")
        return self.url

    def halt(self) -> None:
        """Stop the node and keep its data: the next start is the same cluster again."""
        self._run("halt")

    def stop(self) -> None:
        self._run("stop")
