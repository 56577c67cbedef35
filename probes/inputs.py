"""Plain inputs of the built-in probes, with vac-protocol field names (normalised)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from probes.model import ProbeError
from probes.versions import DaemonVersion

_NUMERIC = (
    "time_received",
    "time_sent",
    "factory_heartbeat_time",
    "responder_heartbeat_time",
    "mjf_heartbeat_time",
    "metadata_heartbeat_time",
    "root_disk_avail_kb",
    "root_disk_avail_inodes",
    "load_average",
    "swap_used_kb",
    "swap_free_kb",
    "max_processors",
)


@dataclass(frozen=True)
class FactoryState:
    """The latest factory_status of one factory, as stored after normalisation."""

    factory: str
    space: str
    time_received: float
    time_sent: float | None = None
    factory_heartbeat_time: float | None = None
    responder_heartbeat_time: float | None = None
    mjf_heartbeat_time: float | None = None
    metadata_heartbeat_time: float | None = None
    root_disk_avail_kb: float | None = None
    root_disk_avail_inodes: float | None = None
    load_average: float | None = None
    swap_used_kb: float | None = None
    swap_free_kb: float | None = None
    daemon_version: str | None = None
    max_processors: float | None = None

    @classmethod
    def from_mapping(cls, message: Mapping[str, Any]) -> FactoryState:
        """Build from a normalised factory_status dict; unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        values = {key: message[key] for key in names if message.get(key) is not None}
        for key in ("factory", "space", "time_received"):
            if key not in values:
                raise ProbeError(f"factory state lacks {key}")
        for key in _NUMERIC:
            value = values.get(key)
            # bool is an int subclass; a JSON true in a numeric field is a producer bug.
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise ProbeError(f"factory state field {key} is not a number: {value!r}")
        for key in ("factory", "space", "daemon_version"):
            if key in values and not isinstance(values[key], str):
                raise ProbeError(f"factory state field {key} is not a string")
        return cls(**values)

    @property
    def reference_time(self) -> float:
        """The factory's clock when it sent this state, else our receipt time."""
        return self.time_sent if self.time_sent is not None else self.time_received

    def daemon_heartbeats(self) -> dict[str, float]:
        """Secondary daemon heartbeats that are present; Vcycle sends 0 for an absent one."""
        found = {
            "responder": self.responder_heartbeat_time,
            "mjf": self.mjf_heartbeat_time,
            "metadata": self.metadata_heartbeat_time,
        }
        return {name: when for name, when in found.items() if when}


@dataclass(frozen=True)
class SpaceState:
    """Latest state of every factory known in one space."""

    space: str
    factories: Sequence[FactoryState] = ()


@dataclass(frozen=True)
class FinishedMachine:
    """One machine that finished within the probe window."""

    shutdown_message: str | None
    shutdown_time: float | None = None


@dataclass(frozen=True)
class MachinetypeOutcomes:
    """Finished machines of one machinetype (one VO FQAN) in a space over a window."""

    machinetype: str
    finished: Sequence[FinishedMachine] = ()
    window_seconds: float = 6 * 3600


@dataclass(frozen=True)
class CapacitySample:
    """Advertised processors of a space now and at the same time a week earlier."""

    space: str
    current_processors: float
    previous_processors: float | None


@dataclass(frozen=True)
class MinimumVersion:
    text: str
    version: DaemonVersion


@dataclass(frozen=True)
class DaemonVersionInput:
    """A factory's daemon_version and the minimum accepted per product (`Vac`, `Vcycle`)."""

    factory: str
    daemon_version: str | None
    minimums: Mapping[str, str] = field(default_factory=dict)

    def minimum_for(self, product: str | None) -> MinimumVersion | None:
        # A bare version string carries no product; only a single configured minimum fits it.
        if product is None and len(self.minimums) == 1:
            product = next(iter(self.minimums))
        text = self.minimums.get(product or "")
        return None if text is None else MinimumVersion(text, DaemonVersion.parse(text))
