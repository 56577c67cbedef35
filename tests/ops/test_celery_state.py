"""kombu's filesystem transport keeps all of its state under VACMON_VAR_DIR."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from kombu import Connection, Exchange, Queue


def test_the_filesystem_transport_binds_its_exchanges_under_the_var_dir_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    control = Path(str(options["control_folder"]))
    assert control.is_relative_to(settings.VAR_DIR)
    # A process started anywhere else must find the same bindings.
    monkeypatch.chdir(tmp_path)
    name = f"vacmon-test-{tmp_path.name}"
    with Connection("filesystem://", transport_options=options) as conn:
        queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
        queue(conn.channel()).declare()
    assert (control / f"{name}.exchange").exists()
    assert not (tmp_path / "control").exists()
    (control / f"{name}.exchange").unlink()
