"""scripts/elasticsearch.sh fails loudly, saying why, rather than leaving CI to skip."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.store_es.private_cluster import SCRIPT


def run(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        env={**os.environ, "ES_STATE_DIR": str(tmp_path / "state"), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_url_fails_naming_the_state_folder_when_no_node_runs(tmp_path):
    done = run(tmp_path, "url")
    assert done.returncode != 0
    assert f"no Elasticsearch is running from {tmp_path / 'state'}" in done.stderr


def test_an_unknown_action_is_refused_with_the_usage(tmp_path):
    done = run(tmp_path, "restart")
    assert done.returncode == 2
    assert "usage:" in done.stderr


@pytest.mark.skipif(shutil.which("mvn") is None, reason="mvn is not installed")
def test_start_fails_loudly_when_the_distribution_cannot_be_fetched(tmp_path):
    done = run(tmp_path, "start", ES_VERSION="8.0.0-no-such-version", ES_JAVA_HOME="/usr")
    assert done.returncode != 0
    assert "could not fetch org.elasticsearch.distribution.integ-test-zip" in done.stderr
    assert "ELASTICSEARCH_URL=" not in done.stdout
