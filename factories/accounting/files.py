"""Where and how Vac and Vcycle store APEL records (spec vac-protocol.md 6.1, 6.2).

Every record goes to `apel-archive/YYYYMMDD/<HHMMSS + fraction>`; a copy goes to
`apel-outgoing/...` (the directory ssmsend ships) only when the site name is configured and,
for Vac, the machine has an HS06 value. Files are written to `tmp/` and renamed into place,
so a shipper never reads half a record.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from factories.accounting.record import render, vac_fields, vcycle_fields
from factories.model import DEFAULT_FIZZLE_SECONDS, MachineState, Sender


def vac_file_name(moment: float) -> tuple[str, str]:
    """(YYYYMMDD, HHMMSS + 8 fractional digits), both in UTC, e.g. `19064012345600`."""
    tm = time.gmtime(moment)
    fraction = int((moment % 1) * 100_000_000)
    return time.strftime("%Y%m%d", tm), time.strftime("%H%M%S", tm) + f"{fraction:08d}"


def vcycle_file_name(moment: float) -> tuple[str, str]:
    """Vcycle uses local time and only as many fractional digits as str() gives (<= 8)."""
    tm = time.localtime(moment)
    digits = repr(float(moment)).partition(".")[2][:8].rstrip("0") or "0"
    return time.strftime("%Y%m%d", tm), time.strftime("%H%M%S", tm) + digits


class ApelWriter:
    """Writes the APEL record of each finished machine, the way the sender's flavour does."""

    def __init__(
        self,
        sender: Sender,
        *,
        daemon_dir: str | Path | None = None,
        fizzle_seconds: int = DEFAULT_FIZZLE_SECONDS,
        mb_per_processor: int = 2048,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sender = sender
        self.vac = sender.flavour.is_vac
        default = "/var/lib/vac" if self.vac else "/var/lib/vcycle"
        self.daemon_dir = Path(daemon_dir if daemon_dir is not None else default)
        self.fizzle_seconds = fizzle_seconds
        self.mb_per_processor = mb_per_processor
        self.clock = clock

    @property
    def archive_dir(self) -> Path:
        return self.daemon_dir / "apel-archive"

    @property
    def outgoing_dir(self) -> Path:
        return self.daemon_dir / "apel-outgoing"

    def text(self, machine: MachineState) -> str | None:
        """The record for `machine`, or None when the flavour writes none."""
        if self.vac:
            fields = vac_fields(
                self.sender,
                machine,
                mb_per_processor=self.mb_per_processor,
                fizzle_seconds=self.fizzle_seconds,
            )
        else:
            fields = vcycle_fields(self.sender, machine, fizzle_seconds=self.fizzle_seconds)
        return render(fields) if fields is not None else None

    def wants_outgoing(self, machine: MachineState) -> bool:
        if self.sender.site is None:
            return False
        return machine.hs06 is not None if self.vac else True

    def write(self, machine: MachineState) -> list[Path]:
        """Write the record; returns the archive path then the outgoing path, if any."""
        text = self.text(machine)
        if text is None:
            return []
        day, name = (vac_file_name if self.vac else vcycle_file_name)(self.clock())
        targets = [self.archive_dir / day]
        if self.wants_outgoing(machine):
            targets.append(self.outgoing_dir / day)
        name = self._free_name(targets, name)
        return [self._atomic_write(directory / name, text) for directory in targets]

    @staticmethod
    def _free_name(directories: list[Path], name: str) -> str:
        # Two machines finishing in the same 10 ns would share a name; never overwrite.
        candidate, suffix = name, 0
        while any((d / candidate).exists() for d in directories):
            suffix += 1
            candidate = f"{name}{suffix}"
        return candidate

    def _atomic_write(self, path: Path, text: str) -> Path:
        tmp_dir = self.daemon_dir / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = tmp_dir / f"apel-{os.getpid()}-{path.parent.parent.name}-{path.name}"
        with open(tmp, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        return path
