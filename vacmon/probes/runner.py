"""Run one probe target, store its results with their lateness, and queue them for the broker."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from probes.builtin import BUILTIN_PROBES, unknown
from probes.model import ProbeDefinition, ProbeError, ProbeRecord, ProbeResult
from probes.plugin import PluginRunner
from vacmon.models import ProbeDefinition as DefinitionRow
from vacmon.models import ProbeResult as ResultRow
from vacmon.probes import inputs
from vacmon.probes.definitions import core_definition, metric_with_fqan, plugin_command
from vacmon.probes.outbox import enqueue
from vacmon.probes.records import perfdata_json
from vacmon.probes.targets import TargetRef

Outcome = tuple[ProbeDefinition, ProbeResult]


def monitoring_host() -> str:
    return settings.VACMON_PROBE_MONITORING_HOST or socket.getfqdn()


def _builtin_inputs(row: DefinitionRow, ref: TargetRef, now: int) -> list[tuple[str, Any]]:
    """(metric, inputs) pairs for one run; inputs None means the target was not heard from."""
    test, options = row.builtin, dict(row.options or {})
    if test in ("Factory-Heartbeat", "Factory-Health"):
        return [(row.metric, inputs.factory_input(ref, now))]
    if test == "Factory-Version":
        return [(row.metric, inputs.version_input(ref, now, options))]
    if test == "Space-Heartbeat":
        return [(row.metric, inputs.space_input(ref, now))]
    if test == "Space-Capacity":
        return [(row.metric, inputs.capacity_input(ref, now))]
    if test == "Machinetype-Outcome":
        pairs = inputs.outcome_inputs(ref, now, options)
        return [(metric_with_fqan(row.metric, fqan), found) for fqan, found in pairs]
    raise ProbeError(f"no built-in probe {test!r}")


def run_builtin(row: DefinitionRow, ref: TargetRef, now: float) -> list[Outcome]:
    probe = BUILTIN_PROBES[row.builtin]
    base = core_definition(row)
    try:
        pairs = _builtin_inputs(row, ref, int(now))
    except ProbeError as error:
        # A malformed stored message must show as UNKNOWN, not kill the run silently.
        return [(base, unknown(f"cannot read inputs: {error}", now))]
    outcomes: list[Outcome] = []
    for metric, found in pairs:
        definition = base if metric == row.metric else dataclasses.replace(base, metric=metric)
        if found is None:
            days = settings.VACMON_PROBE_DISCOVERY_DAYS
            result = unknown(f"{ref.hostname} not heard from in {days} days", now)
        else:
            result = probe.run(found, now, definition)
        outcomes.append((definition, result))
    return outcomes


def run_external(row: DefinitionRow, ref: TargetRef) -> list[Outcome]:
    try:
        command = plugin_command(row, ref.target())
    except ProbeError as error:
        return [(core_definition(row), unknown(f"plugin refused: {error}", time.time()))]
    return [(core_definition(row), PluginRunner().run(command))]


def _row(
    row: DefinitionRow,
    record: ProbeRecord,
    due_at: float | None,
    started: float,
    finished: float,
) -> ResultRow:
    return ResultRow(
        definition=row,
        metric=record.metric_name,
        hostname=record.hostname,
        flavour=record.service_flavour,
        site=record.site or "",
        target_kind=row.target_kind,
        status=record.status.name,
        summary=record.summary,
        details=record.details,
        perfdata=perfdata_json(record.perfdata),
        vo=record.vo or "",
        vo_fqan=record.vo_fqan or "",
        monitoring_host=record.monitoring_host or "",
        timestamp=record.timestamp,
        due_at=due_at,
        # The run is the whole task (inputs, check, plugin), which is what occupies a worker.
        started_at=started,
        finished_at=finished,
        lateness=None if due_at is None else max(0.0, started - due_at),
    )


def store_outcomes(
    row: DefinitionRow,
    ref: TargetRef,
    outcomes: Sequence[Outcome],
    due_at: float | None,
    started: float,
    finished: float,
) -> list[ResultRow]:
    host = monitoring_host()
    target = ref.target()
    rows = []
    for definition, result in outcomes:
        record = ProbeRecord.from_result(definition, target, result, host)
        rows.append(_row(row, record, due_at, started, finished))
    with transaction.atomic():
        # bulk_create sets primary keys on PostgreSQL and SQLite >= 3.35, which the outbox needs.
        saved = ResultRow.objects.bulk_create(rows)
        enqueue(saved)
    return saved


def run_target(
    ref: TargetRef, due_at: float | None = None, clock: Callable[[], float] = time.time
) -> list[ResultRow]:
    """The body of one probe task: nothing happens for a definition disabled meanwhile."""
    started = clock()
    row = DefinitionRow.objects.filter(pk=ref.definition_id, enabled=True).first()
    if row is None:
        return []
    outcomes = run_builtin(row, ref, started) if row.builtin else run_external(row, ref)
    return store_outcomes(row, ref, outcomes, due_at, started, clock())
