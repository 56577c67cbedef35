"""All models of the one VacMon app, one module per concept."""

from __future__ import annotations

from vacmon.models.crr import CrrSpaceSettings, CrrTarget, PublicationFailure, PublishedDocument
from vacmon.models.ingest import IngestCounter
from vacmon.models.status import (
    FactoryStatus,
    LatestStatus,
    MachineStatus,
    MachinetypeStatus,
    Rollup,
    RollupWatermark,
)

__all__ = [
    "CrrSpaceSettings",
    "CrrTarget",
    "FactoryStatus",
    "IngestCounter",
    "LatestStatus",
    "MachineStatus",
    "MachinetypeStatus",
    "PublicationFailure",
    "PublishedDocument",
    "Rollup",
    "RollupWatermark",
]
