"""Admin registrations live beside their feature; Django's autodiscovery imports this module."""

from __future__ import annotations

from vacmon.accounting import admin as _accounting_admin  # noqa: F401
from vacmon.crr import admin as _crr_admin  # noqa: F401
from vacmon.ingest import admin as _ingest_admin  # noqa: F401
from vacmon.probing import admin as _probing_admin  # noqa: F401
from vacmon.trust import admin as _trust_admin  # noqa: F401
