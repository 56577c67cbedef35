"""Admin registrations live beside their feature; Django's autodiscovery imports this module."""

from __future__ import annotations

from vacmon.accounting import admin as _accounting_admin  # noqa: F401
from vacmon.crr import admin as _crr_admin  # noqa: F401
from vacmon.probes import admin as _probes_admin  # noqa: F401
from vacmon.trust import admin as _trust_admin  # noqa: F401
