"""ARGO operations profiles: the AND/OR truth tables over the status set, as data (spec 3.2)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

OK, WARNING, UNKNOWN, MISSING, CRITICAL, DOWNTIME = (
    "OK",
    "WARNING",
    "UNKNOWN",
    "MISSING",
    "CRITICAL",
    "DOWNTIME",
)
STATES = (OK, WARNING, UNKNOWN, MISSING, CRITICAL, DOWNTIME)


class OperationsError(ValueError):
    """An operations profile is incomplete or names an unknown state or operation."""


# argo-streaming data_OPS.json, as matrices: row state, then the result against each column
# state in STATES order. Written out as data, not max/min, because deployments edit cells.
_ARGO_TABLES: dict[str, dict[str, tuple[str, ...]]] = {
    "AND": {
        OK: (OK, WARNING, UNKNOWN, MISSING, CRITICAL, DOWNTIME),
        WARNING: (WARNING, WARNING, UNKNOWN, MISSING, CRITICAL, DOWNTIME),
        UNKNOWN: (UNKNOWN, UNKNOWN, UNKNOWN, MISSING, CRITICAL, DOWNTIME),
        MISSING: (MISSING, MISSING, MISSING, MISSING, CRITICAL, DOWNTIME),
        CRITICAL: (CRITICAL, CRITICAL, CRITICAL, CRITICAL, CRITICAL, CRITICAL),
        DOWNTIME: (DOWNTIME, DOWNTIME, DOWNTIME, DOWNTIME, CRITICAL, DOWNTIME),
    },
    "OR": {
        OK: (OK, OK, OK, OK, OK, OK),
        WARNING: (OK, WARNING, WARNING, WARNING, WARNING, WARNING),
        UNKNOWN: (OK, WARNING, UNKNOWN, UNKNOWN, CRITICAL, UNKNOWN),
        MISSING: (OK, WARNING, UNKNOWN, MISSING, CRITICAL, DOWNTIME),
        CRITICAL: (OK, WARNING, CRITICAL, CRITICAL, CRITICAL, CRITICAL),
        DOWNTIME: (OK, WARNING, UNKNOWN, DOWNTIME, CRITICAL, DOWNTIME),
    },
}


def argo_profile_document(missing_or_downtime: str = DOWNTIME) -> dict[str, Any]:
    """The ARGO operations-profile JSON for the default tables.

    `missing_or_downtime` is the one cell where the engines differ: argo-streaming gives
    DOWNTIME for MISSING OR DOWNTIME, the older compute engine gives MISSING. It matters for
    R, which excludes downtime from its denominator but treats MISSING as unknown.
    """
    if missing_or_downtime not in (MISSING, DOWNTIME):
        raise OperationsError("MISSING OR DOWNTIME must be MISSING or DOWNTIME")
    operations = []
    for name, matrix in _ARGO_TABLES.items():
        rows = []
        for i, a in enumerate(STATES):
            for b, x in list(zip(STATES, matrix[a], strict=True))[i:]:
                if name == "OR" and {a, b} == {MISSING, DOWNTIME}:
                    x = missing_or_downtime
                rows.append({"a": a, "b": b, "x": x})
        operations.append({"name": name, "truth_table": rows})
    return {
        "name": "argo-streaming" if missing_or_downtime == DOWNTIME else "argo-compute-engine",
        "available_states": list(STATES),
        "defaults": {"down": DOWNTIME, "missing": MISSING, "unknown": UNKNOWN},
        "operations": operations,
    }


@dataclass(frozen=True)
class OperationsProfile:
    """Per-tenant truth tables; each table maps an unordered pair of states to a state."""

    name: str
    states: tuple[str, ...]
    down: str
    missing: str
    unknown: str
    tables: Mapping[str, Mapping[frozenset[str], str]]

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> OperationsProfile:
        """Load ARGO's `{name, available_states, defaults, operations:[{name, truth_table}]}`."""
        states = tuple(doc["available_states"])
        tables: dict[str, dict[frozenset[str], str]] = {}
        for operation in doc["operations"]:
            table = tables.setdefault(operation["name"], {})
            for row in operation["truth_table"]:
                a, b, x = row["a"], row["b"], row["x"]
                if not {a, b, x} <= set(states):
                    raise OperationsError(f"row {row} uses a state outside {states}")
                table[frozenset((a, b))] = x
        defaults = doc["defaults"]
        profile = cls(
            doc["name"], states, defaults["down"], defaults["missing"], defaults["unknown"], tables
        )
        profile._check_complete()
        return profile

    def _check_complete(self) -> None:
        for name, table in self.tables.items():
            for a in self.states:
                for b in self.states:
                    if frozenset((a, b)) not in table:
                        raise OperationsError(f"{name} has no row for {a} {name} {b}")

    def combine(self, operation: str, a: str, b: str) -> str:
        try:
            return self.tables[operation][frozenset((a, b))]
        except KeyError:
            raise OperationsError(f"no rule for {a} {operation} {b}") from None

    def fold(self, operation: str, states: Iterable[str]) -> str:
        """Combine many states; with none at all the answer is the `missing` default."""
        result: str | None = None
        for state in states:
            result = state if result is None else self.combine(operation, result, state)
        return self.missing if result is None else result


def argo_operations(missing_or_downtime: str = DOWNTIME) -> OperationsProfile:
    """The default ARGO tables, with the one disputed OR cell selectable."""
    return OperationsProfile.from_document(argo_profile_document(missing_or_downtime))
