"""An on-disk queue of message batches for when VacMon cannot be reached.

Each batch is one JSON file written atomically (temp file, fsync, rename), named so that
lexical order is arrival order; replay walks them oldest first and stops at the first
failure, so later batches never overtake earlier ones. Batches VacMon refuses for good are
moved to `rejected/`, never deleted: nothing is lost.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from factories.transport.base import Wire

_SUFFIX = ".json"


class Spool:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.rejected_dir = self.directory / "rejected"
        self.directory.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count()
        self._last = 0

    def _next_name(self) -> str:
        # time_ns can step backwards (NTP); never let a name sort before the previous one.
        stamp = max(time.time_ns(), self._last + 1)
        self._last = stamp
        return f"{stamp:020d}-{os.getpid():07d}-{next(self._counter):06d}{_SUFFIX}"

    def put(self, messages: Sequence[Wire]) -> Path:
        path = self.directory / self._next_name()
        _atomic_write(path, json.dumps(list(messages)).encode())
        return path

    def entries(self) -> list[Path]:
        return sorted(p for p in self.directory.iterdir() if p.name.endswith(_SUFFIX))

    def __len__(self) -> int:
        return len(self.entries())

    @staticmethod
    def load(path: Path) -> list[dict[str, Any]]:
        data = json.loads(path.read_text())
        return [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []

    def replace(self, path: Path, messages: Sequence[Wire]) -> None:
        """Keep only the still-undelivered part of a batch, under the same name."""
        _atomic_write(path, json.dumps(list(messages)).encode())

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def reject(self, path: Path, messages: Sequence[Wire], reason: str) -> Path:
        """Set refused messages aside with the reason, for an operator to look at."""
        self.rejected_dir.mkdir(exist_ok=True)
        target = self.rejected_dir / path.name
        _atomic_write(target, json.dumps({"reason": reason, "messages": list(messages)}).encode())
        return target


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
