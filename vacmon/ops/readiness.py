"""Readiness checks: each returns None when healthy, else a short reason."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection

from vacmon.ops import optional

Check = Callable[[], str | None]


def check_database() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return None


def check_broker() -> str | None:
    from kombu import Connection

    timeout = float(getattr(settings, "VACMON_READY_TIMEOUT", 2.0))
    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=timeout,
        transport_options=dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})),
    ) as conn:
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, interval_max=0, timeout=timeout
        )
    return None


def check_elasticsearch() -> str | None:
    from vacmon.store import get_store

    client = getattr(get_store(), "client", None)
    if client is None:
        return None
    timeout = float(getattr(settings, "VACMON_READY_TIMEOUT", 2.0))
    return None if client.options(request_timeout=timeout).ping() else "ping failed"


def outbox_check(kind: str) -> Check:
    def check() -> str | None:
        model = optional.model(kind)
        if model is not None:
            model.objects.exists()
        return None

    return check


def checks() -> dict[str, Check]:
    found: dict[str, Check] = {"database": check_database, "broker": check_broker}
    if getattr(settings, "ELASTICSEARCH_URL", ""):
        found["elasticsearch"] = check_elasticsearch
    for kind in ("apel_outbox", "probe_outbox"):
        if optional.model(kind) is not None:
            found[kind] = outbox_check(kind)
    return found


def run_checks() -> dict[str, dict[str, object]]:
    results: dict[str, dict[str, object]] = {}
    for name, check in checks().items():
        started = time.monotonic()
        try:
            problem = check()
        except Exception as exc:
            # Exception text only: URLs with passwords never reach it through kombu/psycopg.
            problem = f"{type(exc).__name__}: {str(exc)[:200]}"
        result: dict[str, object] = {
            "ok": problem is None,
            "seconds": round(time.monotonic() - started, 4),
        }
        if problem is not None:
            result["error"] = problem
        results[name] = result
    return results
