from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_probe_core_imports_without_django_or_vacmon() -> None:
    probe = (
        "import sys, pkgutil, importlib, probes\n"
        "for m in pkgutil.iter_modules(probes.__path__):\n"
        "    importlib.import_module('probes.' + m.name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'vacmon')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
