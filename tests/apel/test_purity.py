from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

MODULES = [
    "apel.parse",
    "apel.builder",
    "apel.summaries",
    "apel.smime",
    "apel.config",
    "apel.outbox",
    "apel.forwarder",
    "apel.stomp_sender",
    "apel.ams_sender",
]


def test_the_apel_core_never_imports_django() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in MODULES)
        + "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert completed.returncode == 0, completed.stderr
