"""What the UDP listener held but could not write before its shutdown deadline.

When the store stays unavailable past VACMON_SHUTDOWN_GRACE, the datagrams still held are
written to a file under VAR_DIR/ingest (fsync'd, one JSON record per line) and logged with
their number; the next listener to start queues them before anything it receives, in the
order they arrived, and removes the file. A shutdown therefore never drops what was
accepted, even when the database is down.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings

log = logging.getLogger("vacmon.ingest")

Raw = tuple[bytes, str, float]
_PREFIX = "unwritten-"
_SUFFIX = ".jsonl"


def spill_dir() -> Path:
    return Path(settings.VAR_DIR) / "ingest"


def spill(raw: Sequence[Raw], why: str) -> Path | None:
    """Keep `raw` on disk and say so; return the file (None when there was nothing)."""
    if not raw:
        return None
    directory = spill_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{_PREFIX}{time.time_ns()}-{os.getpid()}{_SUFFIX}"
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="ascii") as f:
        for data, source, received in raw:
            record = {"data": base64.b64encode(data).decode(), "source": source, "at": received}
            f.write(json.dumps(record) + "\n")
        f.flush()
        os.fsync(f.fileno())
    partial.rename(path)  # only whole files are ever read back
    log.error(
        "the store did not take %d accepted datagram(s) before the shutdown deadline (%s); "
        "kept in %s, to be written at the next start",
        len(raw),
        why,
        path,
    )
    return path


def take_spilled() -> list[Raw]:
    """Every datagram kept by earlier shutdowns, oldest file first; the files are removed."""
    directory = spill_dir()
    if not directory.is_dir():
        return []
    out: list[Raw] = []
    for path in sorted(directory.glob(f"{_PREFIX}*{_SUFFIX}")):
        with path.open(encoding="ascii") as f:
            for line in f:
                record = json.loads(line)
                out.append((base64.b64decode(record["data"]), record["source"], record["at"]))
        path.unlink()
        log.info("queued %s kept at an earlier shutdown", path.name)
    return out
