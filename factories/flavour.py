"""Sender flavours: how Vac, Vcycle and DODAS name themselves and which keys they emit.

The flavour decides the wire shape (spec vac-protocol.md 0 and 1.2-1.5): Vac 02.x/03.x keeps
legacy aliases next to the modern names, Vcycle never sends them, and the machinetype limits
(`bytes_per_processor`, `max_wallclock_seconds`, `max_processors`) only exist from Vac master
and Vcycle 03.00 on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Flavour:
    """One sender implementation at one version."""

    daemon: str  # first word of daemon_version: "Vac", "Vcycle", "DODAS"
    version: str  # e.g. "03.00.01", "03.00+pre06"
    client: str  # "vacd-factory", "vcycled", ...
    vacquery: str  # protocol version without the "VacQuery " prefix, e.g. "01.03"
    legacy_aliases: bool = False  # also send vac_version, running_cpus, total_* ...
    machinetype_limits: bool = False  # bytes_per_processor, max_wallclock_seconds ...
    vac_semantics: bool = False  # Vac field rules: HS06 never absent, float counts, fizzle
    # Vcycle's `spaces[self.spacename]` typo makes its HS06 totals 0.0 whenever present
    # (spec 1.3); kept switchable so a faithful replay and an honest sender both exist.
    zero_hs06_totals: bool = False
    # Vcycle's machine_status never carries `fqan`: an undefined variable (spec 1.5, 1.8).
    machine_fqan: bool = True

    @property
    def daemon_version(self) -> str:
        return f"{self.daemon} {self.version} {self.client}"

    @property
    def vacquery_version(self) -> str:
        return f"VacQuery {self.vacquery}"

    @property
    def is_vac(self) -> bool:
        return self.vac_semantics

    def with_client(self, client: str) -> Flavour:
        """The same daemon under another client name (e.g. `vacd-responder` for replies)."""
        return replace(self, client=client)


def vac(
    version: str = "03.00.01", *, legacy_aliases: bool = True, client: str = "vacd-factory"
) -> Flavour:
    """Vac 03.x. Versions from 03.01 on (master) also send the machinetype limits."""
    return Flavour(
        daemon="Vac",
        version=version,
        client=client,
        vacquery="01.03",
        legacy_aliases=legacy_aliases,
        machinetype_limits=_at_least(version, (3, 1)),
        vac_semantics=True,
    )


def vcycle(version: str = "03.00+pre06", *, zero_hs06_totals: bool = True) -> Flavour:
    """Vcycle 03.x: modern names only, VacQuery 01.02 forever (spec 0)."""
    return Flavour(
        daemon="Vcycle",
        version=version,
        client="vcycled",
        vacquery="01.02",
        machinetype_limits=_at_least(version, (3, 0)),
        zero_hs06_totals=zero_hs06_totals,
        machine_fqan=False,
    )


def dodas(version: str = "1.0.0") -> Flavour:
    """An HTCondor-based DODAS space reported through the adapter: Vcycle-shaped messages."""
    return Flavour(
        daemon="DODAS",
        version=version,
        client="condor-adapter",
        vacquery="01.02",
        machinetype_limits=True,
    )


def _at_least(version: str, minimum: tuple[int, int]) -> bool:
    # "03.01+pre00" -> (3, 1); anything unparsable counts as new so no field is withheld.
    head = version.split("+", 1)[0].split(".")
    try:
        return (int(head[0]), int(head[1]) if len(head) > 1 else 0) >= minimum
    except ValueError:
        return True


VAC_03 = vac("03.00.01")
VAC_MASTER = vac("03.01+pre00")
VCYCLE_03 = vcycle("03.00+pre06")
