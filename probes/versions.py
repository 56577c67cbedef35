"""Vac/Vcycle daemon versions such as `Vac 03.00.01 vacd-factory` or `03.01+pre00`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from probes.model import ProbeError

_VERSION_RE = re.compile(r"^(?P<release>\d+(?:\.\d+)*)(?:\+pre(?P<pre>\d+))?$")


@dataclass(frozen=True, order=True)
class DaemonVersion:
    """Comparable release: `03.01+pre00` < `03.01+pre01` < `03.01` == `03.01.00` < `03.01.01`.

    `+preNN` marks work towards the named release, so it sorts before that release.
    """

    release: tuple[int, int, int]
    final: bool
    pre: int

    @classmethod
    def parse(cls, text: str) -> DaemonVersion:
        match = _VERSION_RE.match(text.strip())
        if not match:
            raise ProbeError(f"{text!r} is not a Vac/Vcycle version")
        parts = [int(part) for part in match["release"].split(".")]
        if len(parts) > 3:
            raise ProbeError(f"{text!r} has more than three release numbers")
        major, minor, patch = [*parts, 0, 0][:3]
        pre = match["pre"]
        return cls((major, minor, patch), pre is None, int(pre or 0))

    @property
    def unreadable(self) -> bool:
        """Vac reports `0.0.0` when it cannot read its own VERSION file."""
        return self.release == (0, 0, 0)


def split_daemon_version(text: str) -> tuple[str | None, DaemonVersion]:
    """`Vac 03.00.01 vacd-factory` -> ("Vac", version); a bare version has no product."""
    words = text.split()
    if len(words) == 1:
        return None, DaemonVersion.parse(words[0])
    if len(words) in (2, 3):
        return words[0], DaemonVersion.parse(words[1])
    raise ProbeError(f"{text!r} is not `<product> <version> [<client>]`")
