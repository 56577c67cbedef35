"""Whether derived figures (CRR) count only trusted messages."""

from __future__ import annotations

from django.conf import settings


def trusted_only(site: str | None = None) -> bool:
    """VACMON_CRR_TRUSTED_ONLY, unless the registry overrides it for `site`."""
    default = bool(getattr(settings, "VACMON_CRR_TRUSTED_ONLY", False))
    if site is None:
        return default
    from vacmon.models import Site

    override = Site.objects.filter(name=site).values_list("crr_trusted_only", flat=True).first()
    return default if override is None else bool(override)
