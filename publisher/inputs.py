"""What the storage layer hands to the CRR builder: plain values, no Django.

Field names are the normalised message names of vac-protocol.md 1.3 and 1.4 (after the
receiver's alias fix-ups of 3.2). Every measured value may be None: old Vac releases and
Vcycle omit several of them, and Vcycle sends `max_processors: null` without a limit
(vac-protocol 1.8).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

DEFAULT_WINDOW_SECONDS = 86400
"""Factories heard within the last day count, as the original CRR generator did."""

STATUS_CHOICES = ("development", "pre-production", "testing", "production")
"""CRR v1.5 `status` values (GLUE2 QualityLevel); offered to the settings form."""

VAC_DEFAULT_MAX_WALLCLOCK_SECONDS = 86400
VAC_DEFAULT_BYTES_PER_PROCESSOR = 2048 * 1048576
"""Sender defaults (vac-protocol 1.4): used as fallbacks when no machinetype reports limits."""


@dataclass(frozen=True)
class FactoryStatus:
    """The latest `factory_status` of one factory in one space."""

    site: str
    space: str
    factory: str
    time_received: int
    daemon_version: str | None = None
    max_processors: float | None = None
    max_machines: float | None = None
    max_hs06: float | None = None
    running_processors: float | None = None
    running_machines: float | None = None
    running_hs06: float | None = None
    os_issue: str | None = None
    time_sent: int | None = None

    @classmethod
    def from_mapping(cls, doc: Mapping[str, object]) -> FactoryStatus:
        """Read a stored (or raw) factory_status; legacy aliases fill missing names.

        Raises ValueError if site, space, factory or time_received is missing.
        """
        return cls(
            site=_required_str(doc, "site"),
            space=_required_str(doc, "space"),
            factory=_required_str(doc, "factory"),
            time_received=_required_int(doc, "time_received"),
            daemon_version=_str(doc, "daemon_version", "vac_version"),
            max_processors=_number(doc, "max_processors", "total_cpus"),
            max_machines=_number(doc, "max_machines", "total_machines"),
            max_hs06=_number(doc, "max_hs06", "total_hs06"),
            running_processors=_number(doc, "running_processors", "running_cpus"),
            running_machines=_number(doc, "running_machines"),
            running_hs06=_number(doc, "running_hs06"),
            os_issue=_str(doc, "os_issue"),
            time_sent=_int(doc, "time_sent"),
        )


@dataclass(frozen=True)
class MachinetypeStatus:
    """The latest `machinetype_status` of one machinetype on one factory."""

    site: str
    space: str
    factory: str
    machinetype: str
    time_received: int
    daemon_version: str | None = None
    fqan: str | None = None
    vo: str | None = None
    max_wallclock_seconds: float | None = None
    max_processors: float | None = None
    bytes_per_processor: float | None = None
    running_processors: float | None = None
    running_machines: float | None = None
    time_sent: int | None = None

    @property
    def effective_vo(self) -> str | None:
        """`vo` as stored, else derived from `fqan` the way the receiver does (3.2)."""
        return self.vo or vo_from_fqan(self.fqan)

    @classmethod
    def from_mapping(cls, doc: Mapping[str, object]) -> MachinetypeStatus:
        """Read a stored (or raw) machinetype_status.

        Raises ValueError if site, space, factory, machinetype or time_received is missing.
        """
        return cls(
            site=_required_str(doc, "site"),
            space=_required_str(doc, "space"),
            factory=_required_str(doc, "factory"),
            machinetype=_required_str(doc, "machinetype"),
            time_received=_required_int(doc, "time_received"),
            daemon_version=_str(doc, "daemon_version", "vac_version"),
            fqan=_str(doc, "fqan"),
            vo=_str(doc, "vo"),
            max_wallclock_seconds=_number(doc, "max_wallclock_seconds"),
            max_processors=_number(doc, "max_processors"),
            bytes_per_processor=_number(doc, "bytes_per_processor"),
            running_processors=_number(doc, "running_processors", "running_cpus"),
            running_machines=_number(doc, "running_machines"),
            time_sent=_int(doc, "time_sent"),
        )


@dataclass(frozen=True)
class SpaceSettings:
    """Per-space publication settings kept by the operator; the defaults validate.

    `assigned_vos` maps a machinetype name to the VOs to publish for its share, replacing
    the VO derived from its FQAN (useful when a machinetype has no `accounting_fqan`).
    The fallbacks are used only when no machinetype in the window reports the figure.
    """

    gocdb_site: str | None = None
    os: str = "not relevant"
    status: str = "production"
    comment: str | None = None
    assigned_vos: Mapping[str, Sequence[str]] = field(default_factory=dict)
    publish: bool = True
    fallback_max_wallclock_seconds: int = VAC_DEFAULT_MAX_WALLCLOCK_SECONDS
    fallback_bytes_per_processor: int = VAC_DEFAULT_BYTES_PER_PROCESSOR


@dataclass(frozen=True)
class SpaceInputs:
    """Everything needed to describe one space: one CRR computing resource.

    `site` is the site name heard in the messages (the URL segment); statuses whose
    `space` differs from `space` are ignored by the builder.
    """

    site: str
    space: str
    factories: Sequence[FactoryStatus]
    machinetypes: Sequence[MachinetypeStatus] = ()
    settings: SpaceSettings = field(default_factory=SpaceSettings)


def vo_from_fqan(fqan: str | None) -> str | None:
    """`/lhcb/Role=NULL/Capability=NULL` -> `lhcb`; None for anything else."""
    if not fqan or not fqan.startswith("/"):
        return None
    return fqan.split("/")[1] or None


def _first(doc: Mapping[str, object], names: tuple[str, ...]) -> object:
    for name in names:
        value = doc.get(name)
        if value is not None:
            return value
    return None


def _number(doc: Mapping[str, object], *names: str) -> float | None:
    value = _first(doc, names)
    # bool is an int subclass, and NaN/Infinity can slip through a lenient JSON parser:
    # neither is a usable capacity figure.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def _int(doc: Mapping[str, object], *names: str) -> int | None:
    value = _number(doc, *names)
    return None if value is None else int(value)


def _str(doc: Mapping[str, object], *names: str) -> str | None:
    value = _first(doc, names)
    return value if isinstance(value, str) else None


def _required_str(doc: Mapping[str, object], name: str) -> str:
    value = _str(doc, name)
    if not value:
        raise ValueError(f"{name} is missing or not a string")
    return value


def _required_int(doc: Mapping[str, object], name: str) -> int:
    value = _int(doc, name)
    if value is None:
        raise ValueError(f"{name} is missing or not a number")
    return value
