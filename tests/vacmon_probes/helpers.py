"""Small builders for probe tests."""

from __future__ import annotations

from typing import Any

from vacmon.models import ProbeDefinition, ProbeResult

PLUGINS = "/usr/lib/nagios/plugins"


def external(metric: str, executable: str, *args: str, **fields: Any) -> ProbeDefinition:
    values: dict[str, Any] = {
        "target_kind": "endpoint",
        "flavour": "HTTPS",
        "interval": 300,
        "timeout": 10,
        **fields,
    }
    return ProbeDefinition.objects.create(
        metric=metric, executable=executable, args=list(args), **values
    )


def result(
    when: int,
    status: str,
    *,
    definition: ProbeDefinition,
    hostname: str = "vac01.example.ac.uk",
    flavour: str = "VAC",
    site: str = "EXAMPLE-SITE",
) -> ProbeResult:
    return ProbeResult(
        definition=definition,
        metric=definition.metric,
        hostname=hostname,
        flavour=flavour,
        site=site,
        target_kind=definition.target_kind,
        status=status,
        summary=f"{status} at {when}",
        timestamp=when,
        started_at=when,
        finished_at=when,
    )
