"""Admin registrations live beside their feature; Django's autodiscovery imports this module."""

from __future__ import annotations

from vacmon.apel import admin as _apel_admin  # noqa: F401
from vacmon.ingest import admin as _ingest_admin  # noqa: F401
from vacmon.probes import admin as _probes_admin  # noqa: F401
from vacmon.publisher import admin as _publisher_admin  # noqa: F401
from vacmon.trust import admin as _trust_admin  # noqa: F401
