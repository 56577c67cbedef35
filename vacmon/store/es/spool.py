"""A bounded, append-only, fsync'd disk spool for messages the cluster could not take.

Layout: numbered segment files `0000000000000001.ndjson`, one record per line. Appends go to
the highest-numbered segment; a replay first *seals* it (by starting the next number), then
sends sealed segments oldest first and deletes each once the cluster has taken it. Because
every document has a deterministic `_id`, resending a segment that was half taken before a
crash is harmless: the cluster answers 409 for what it already has.

Several listener processes (SO_REUSEPORT) may share one spool directory: appends and sealing
take an exclusive flock on `append.lock`, and only one process replays at a time
(`replay.lock`, taken without waiting).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

SEGMENT_BYTES = 8 * 1024 * 1024
_SUFFIX = ".ndjson"
REJECTED = "rejected.jsonl"  # not a segment: never replayed


class Spool:
    def __init__(self, directory: Path, max_bytes: int, *, segment_bytes: int = SEGMENT_BYTES):
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.overflowed = 0  # records dropped because the spool was full, since start
        self.directory.mkdir(parents=True, exist_ok=True)

    # --- state -------------------------------------------------------------------------

    def segments(self) -> list[Path]:
        return sorted(p for p in self.directory.iterdir() if _is_segment(p))

    def size(self) -> int:
        """Bytes held: segments and the rejected file, which share the bound."""
        total = 0
        for path in self.directory.iterdir():
            if _is_segment(path) or path.name == REJECTED:
                with contextlib.suppress(FileNotFoundError):
                    total += path.stat().st_size
        return total

    def pending(self) -> bool:
        """Whether any record waits to be replayed."""
        for path in self.segments():
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_size > 0:
                    return True
        return False

    # --- writing -----------------------------------------------------------------------

    def append(self, records: Sequence[str]) -> int:
        """Append records (one JSON document each) durably; return how many were kept.

        When the bound is reached the remaining records of the call are dropped, counted in
        `overflowed` and logged at ERROR: the operator must free space or fix the cluster.
        """
        if not records:
            return 0
        with self._lock("append.lock"):
            room = self.max_bytes - self.size()
            data, kept = _fit(records, room)
            if data:
                self._write(self._current(), data)
        dropped = len(records) - kept
        if dropped:
            self.overflowed += dropped
            log.error(
                "elasticsearch spool %s is full (%d bytes): dropped %d message(s), "
                "%d dropped since start",
                self.directory,
                self.max_bytes,
                dropped,
                self.overflowed,
            )
        return kept

    def reject(self, records: Sequence[str]) -> None:
        """Keep records the cluster refused for good (e.g. a mapping error), for a human."""
        if records:
            data = "".join(r + "\n" for r in records).encode("utf-8")
            with self._lock("append.lock"):
                self._write(self.directory / REJECTED, data)

    def _current(self) -> Path:
        segments = self.segments()
        if segments and segments[-1].stat().st_size < self.segment_bytes:
            return segments[-1]
        return self._new_segment(segments)

    def _new_segment(self, segments: list[Path]) -> Path:
        number = int(segments[-1].stem) + 1 if segments else 1
        path = self.directory / f"{number:016d}{_SUFFIX}"
        path.touch()
        _fsync_dir(self.directory)  # the new name itself must survive a crash
        return path

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)

    # --- replaying ---------------------------------------------------------------------

    @contextlib.contextmanager
    def replaying(self) -> Iterator[list[Path] | None]:
        """Seal the current segment and yield the sealed ones oldest first, or None when
        another process is already replaying."""
        with self._lock("replay.lock", wait=False) as got:
            if not got:
                yield None
                return
            with self._lock("append.lock"):
                segments = self.segments()
                if segments and segments[-1].stat().st_size > 0:
                    segments.append(self._new_segment(segments))
            yield segments[:-1] if segments else []

    def read(self, segment: Path) -> list[str]:
        """The records of a sealed segment. A torn last line (a crash mid-append) is
        skipped: the append that wrote it never returned, so nothing was promised."""
        text = segment.read_bytes().decode("utf-8", errors="replace")
        lines = text.split("\n")
        if lines and lines[-1]:
            log.warning("spool segment %s ends in a partial record; skipping it", segment)
        return [line for line in lines[:-1] if line]

    def remove(self, segment: Path) -> None:
        segment.unlink(missing_ok=True)
        _fsync_dir(self.directory)

    @contextlib.contextmanager
    def _lock(self, name: str, *, wait: bool = True) -> Iterator[bool]:
        fd = os.open(self.directory / name, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _is_segment(path: Path) -> bool:
    return path.suffix == _SUFFIX and path.stem.isdigit()


def _fit(records: Sequence[str], room: int) -> tuple[bytes, int]:
    """Encode records in order until the next would not fit in `room` bytes."""
    chunks: list[bytes] = []
    used = 0
    for record in records:
        line = (record + "\n").encode("utf-8")
        if used + len(line) > room:
            break
        chunks.append(line)
        used += len(line)
    return b"".join(chunks), len(chunks)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
