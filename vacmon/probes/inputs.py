"""Store messages -> the built-in probes' plain inputs (probes.inputs)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings

from factories.messages import Message
from probes.inputs import (
    CapacitySample,
    DaemonVersionInput,
    FactoryState,
    FinishedMachine,
    MachinetypeOutcomes,
    SpaceState,
)
from vacmon.capacity import summarise
from vacmon.probes.targets import TargetRef
from vacmon.store import Scope, get_store

WEEK = 7 * 86400
# Capacity a week ago is the latest state within a day before that instant.
CAPACITY_WINDOW = 86400
# Enough for a busy space's finished machines over the outcome window.
HISTORY_LIMIT = 20_000


def _window(now: int) -> int:
    return now - settings.VACMON_PROBE_DISCOVERY_DAYS * 86400


def factory_state(message: Message) -> FactoryState:
    return FactoryState.from_mapping(
        {
            **message.fields,
            "factory": message.factory,
            "space": message.space,
            "time_received": message.time_received,
        }
    )


def _latest_factories(scope: Scope, now: int) -> list[Message]:
    return get_store().latest("factory_status", since=_window(now), until=now, scope=scope)


def factory_input(ref: TargetRef, now: int) -> FactoryState | None:
    found = _latest_factories(Scope(site=ref.site or None, factory=ref.hostname), now)
    newest = max(found, key=lambda m: m.time_received, default=None)
    return None if newest is None else factory_state(newest)


def space_input(ref: TargetRef, now: int) -> SpaceState:
    found = _latest_factories(Scope(site=ref.site or None, space=ref.hostname), now)
    return SpaceState(ref.hostname, tuple(factory_state(m) for m in found))


def version_input(ref: TargetRef, now: int, options: dict[str, Any]) -> DaemonVersionInput | None:
    state = factory_input(ref, now)
    if state is None:
        return None
    minimums = options.get("minimums") or {}
    return DaemonVersionInput(ref.hostname, state.daemon_version, dict(minimums))


def _processors(messages: list[Message], space: str, at: int) -> float | None:
    for capacity in summarise(messages, "space", at):
        if capacity.name == space:
            return capacity.totals["max_processors"]
    return None


def capacity_input(ref: TargetRef, now: int) -> CapacitySample:
    """Advertised processors now and a week ago, summed over fresh factories (selectors)."""
    scope = Scope(site=ref.site or None, space=ref.hostname)
    store = get_store()
    current = store.latest("factory_status", since=now - CAPACITY_WINDOW, until=now, scope=scope)
    then = now - WEEK
    earlier = store.latest("factory_status", since=then - CAPACITY_WINDOW, until=then, scope=scope)
    return CapacitySample(
        ref.hostname,
        _processors(current, ref.hostname, now) or 0.0,
        _processors(earlier, ref.hostname, then),
    )


_FQAN_PART = re.compile(r"[^A-Za-z0-9_.=-]")


def metric_fqan(machinetype: str, fqan: object) -> str:
    """`/lhcb/Role=NULL/Capability=NULL` -> `/lhcb/Role=NULL` (spec 2.6's metric suffix);
    without an FQAN the machinetype stands in for the VO."""
    parts = [p for p in str(fqan or "").split("/") if p and not p.startswith("Capability=")]
    if not parts:
        parts = [_FQAN_PART.sub("_", machinetype) or "unknown"]
    return "/" + "/".join(_FQAN_PART.sub("_", p) for p in parts[:2])


def _finished(message: Message, since: int) -> tuple[str, FinishedMachine] | None:
    when = message.get("shutdown_time")
    text = message.get("shutdown_message")
    if not text and when is None:
        return None
    if when is not None and when < since:
        return None
    # machinetype_status repeats its last shutdown in every report: key it by machine.
    machine = message.machine or message.get("shutdown_machine") or f"{when}|{text}"
    return str(machine), FinishedMachine(text, when)


def outcome_inputs(
    ref: TargetRef, now: int, options: dict[str, Any]
) -> list[tuple[str, MachinetypeOutcomes]]:
    """Finished machines per machinetype of a space: machine_status messages, plus the last
    shutdown each machinetype_status reports for machines that sent nothing themselves."""
    window = int(float(options.get("window_hours", 6)) * 3600)
    since, scope = now - window, Scope(site=ref.site or None, space=ref.hostname)
    store = get_store()
    finished: dict[str, dict[str, FinishedMachine]] = {}
    fqans: dict[str, object] = {}
    sources = [
        store.history("machine_status", since=since, until=now, scope=scope, limit=HISTORY_LIMIT),
        store.history(
            "machinetype_status", since=since, until=now, scope=scope, limit=HISTORY_LIMIT
        ),
    ]
    for messages in sources:
        # Newest first: the first report of a machine is its final one.
        for message in messages:
            if not message.machinetype:
                continue
            per_type = finished.setdefault(message.machinetype, {})
            fqans.setdefault(message.machinetype, message.get("fqan"))
            found = _finished(message, since)
            if found is not None and found[0] not in per_type:
                per_type[found[0]] = found[1]
    return [
        (
            metric_fqan(machinetype, fqans.get(machinetype)),
            MachinetypeOutcomes(machinetype, tuple(machines.values()), window),
        )
        for machinetype, machines in sorted(finished.items())
    ]
