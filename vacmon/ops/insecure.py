"""Refuse to start a production service on development defaults.

The development key signs sessions and CSRF tokens: anyone who reads this repository could
forge them. An unchecked Host header (DJANGO_ALLOWED_HOSTS=*) would end up in the absolute
URLs the service writes. Both are fine for `make run` (DJANGO_DEBUG=true) and fatal in
production, unless the operator says otherwise with VACMON_ALLOW_INSECURE=true.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_SECRET_KEY = "vacmon-embedded-default-not-secret"

log = logging.getLogger("vacmon.ops")


def insecure_settings() -> list[str]:
    """What is unsafe about the running settings, each as a sentence an operator can act on."""
    problems = []
    if settings.SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        problems.append("DJANGO_SECRET_KEY is the development key: set a long random one")
    if "*" in settings.ALLOWED_HOSTS and not settings.VACMON_BASE_URL:
        problems.append(
            "DJANGO_ALLOWED_HOSTS=* with no VACMON_BASE_URL: name the service's host(s), or "
            "set VACMON_BASE_URL so absolute URLs never come from the Host header"
        )
    return problems


def check_startup() -> None:
    """Raise ImproperlyConfigured when a production start would run on unsafe defaults."""
    problems = insecure_settings()
    if not problems or settings.DEBUG:
        for problem in problems:
            log.warning("development run: %s", problem)
        return
    if settings.VACMON_ALLOW_INSECURE:
        for problem in problems:
            log.error("INSECURE (VACMON_ALLOW_INSECURE=true): %s", problem)
        return
    raise ImproperlyConfigured(
        "refusing to start with DJANGO_DEBUG=false: "
        + "; ".join(problems)
        + " (or set VACMON_ALLOW_INSECURE=true to start anyway)"
    )
