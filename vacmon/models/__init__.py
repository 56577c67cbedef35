"""All models of the one VacMon app, one module per concept."""

from __future__ import annotations

from vacmon.models.apel import (
    ApelBatch,
    ApelForwarderState,
    ApelMonth,
    ApelRecord,
    ApelSiteSettings,
)
from vacmon.models.ingest import IngestCounter, NameBudgetRefusal, QuarantinedMessage
from vacmon.models.ops import StoreWriteStat
from vacmon.models.probes import (
    Downtime,
    ProbeDefinition,
    ProbeDispatch,
    ProbeEndpoint,
    ProbeMessage,
    ProbeResult,
    SiteAvailability,
)
from vacmon.models.publisher import (
    CrrSpaceSettings,
    CrrTarget,
    PublicationFailure,
    PublishedDocument,
)
from vacmon.models.registry import (
    Factory,
    IngestToken,
    SigningKey,
    Site,
    SiteMembership,
    SiteNetwork,
    Space,
)
from vacmon.models.rollups import Rollup, RollupWatermark, SpaceRollup, SpaceRollupWatermark
from vacmon.models.status import (
    FactoryStatus,
    LatestStatus,
    MachineShutdown,
    MachineStatus,
    MachinetypeStatus,
)

__all__ = [
    "ApelBatch",
    "ApelForwarderState",
    "ApelMonth",
    "ApelRecord",
    "ApelSiteSettings",
    "CrrSpaceSettings",
    "CrrTarget",
    "Downtime",
    "Factory",
    "FactoryStatus",
    "IngestCounter",
    "IngestToken",
    "LatestStatus",
    "MachineShutdown",
    "MachineStatus",
    "MachinetypeStatus",
    "NameBudgetRefusal",
    "ProbeDefinition",
    "ProbeDispatch",
    "ProbeEndpoint",
    "ProbeMessage",
    "ProbeResult",
    "PublicationFailure",
    "PublishedDocument",
    "QuarantinedMessage",
    "Rollup",
    "RollupWatermark",
    "SigningKey",
    "Site",
    "SiteAvailability",
    "SiteMembership",
    "SiteNetwork",
    "Space",
    "SpaceRollup",
    "SpaceRollupWatermark",
    "StoreWriteStat",
]
