"""Built-in probes computed from what factories report, over plain inputs.

Each check takes its input dataclass, the current time and per-label Nagios thresholds, and
returns a ProbeResult whose perfdata carries the measured values and the ranges used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from probes.inputs import (
    CapacitySample,
    DaemonVersionInput,
    FactoryState,
    MachinetypeOutcomes,
    SpaceState,
)
from probes.model import ProbeDefinition, ProbeError, ProbeResult, TargetKind, metric_name
from probes.nagios import PerfDatum, Status, Thresholds, worst
from probes.versions import split_daemon_version

Inputs = TypeVar("Inputs")
Limits = Mapping[str, Thresholds]


@dataclass(frozen=True)
class Measure:
    """One evaluated quantity: its perfdata and the status its thresholds give."""

    status: Status
    text: str
    datum: PerfDatum


def measure(
    label: str,
    value: float,
    limits: Limits,
    uom: str = "",
    text: str | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> Measure:
    """Evaluate `value` against the thresholds configured for `label`."""
    ranges = limits.get(label, Thresholds())
    datum = PerfDatum(
        label, round(value, 6), uom, ranges.warning, ranges.critical, minimum, maximum
    )
    shown = text if text is not None else f"{label}={datum.render().split('=', 1)[1].split(';')[0]}"
    return Measure(ranges.evaluate(value), shown, datum)


def combine(measures: Sequence[Measure], started: float, preamble: str = "") -> ProbeResult:
    """Fold measures into one result; the summary names the failing ones first."""
    status = worst(m.status for m in measures)
    bad = [m.text for m in measures if m.status != Status.OK]
    good = [m.text for m in measures if m.status == Status.OK]
    parts = [preamble] if preamble else []
    parts.append(", ".join(bad or good))
    details = "\n".join(f"{m.status.name}: {m.text}" for m in measures)
    return ProbeResult(
        status, ": ".join(parts), details, tuple(m.datum for m in measures), started, started
    )


def unknown(summary: str, now: float) -> ProbeResult:
    return ProbeResult(Status.UNKNOWN, summary, "", (), now, now)


def _seconds(label: str, age: float, limits: Limits) -> Measure:
    return measure(label, age, limits, "s", f"{label} {age:.0f} s", minimum=0)


def check_factory_heartbeat(state: FactoryState, now: float, limits: Limits) -> ProbeResult:
    """The factory's own heartbeat when last heard, and how long VacMon has heard nothing."""
    if state.factory_heartbeat_time is None:
        return unknown(f"factory {state.factory} reports no heartbeat time", now)
    # Heartbeat age uses two factory-side times so clock skew to VacMon does not enter it.
    reference = state.time_sent if state.time_sent is not None else state.time_received
    measures = [
        _seconds("heartbeat_age", max(0.0, reference - state.factory_heartbeat_time), limits),
        _seconds("silence", max(0.0, now - state.time_received), limits),
    ]
    return combine(measures, now, f"factory {state.factory}")


def check_space_heartbeat(space: SpaceState, now: float, limits: Limits) -> ProbeResult:
    """A space is alive while at least one of its factories is heard from."""
    if not space.factories:
        return ProbeResult(
            Status.CRITICAL, f"no factory of space {space.space} ever heard", "", (), now, now
        )
    silences = [max(0.0, now - f.time_received) for f in space.factories]
    silence = _seconds("silence", min(silences), limits)
    ranges = limits.get("silence", Thresholds())
    fresh = sum(1 for s in silences if ranges.evaluate(s) != Status.CRITICAL)
    counts = [
        PerfDatum("factories", len(silences), minimum=0),
        PerfDatum("factories_fresh", fresh, minimum=0, maximum=len(silences)),
    ]
    result = combine([silence], now, f"space {space.space}, {fresh}/{len(silences)} factories")
    return _with_perfdata(result, counts)


def _with_perfdata(result: ProbeResult, extra: Iterable[PerfDatum]) -> ProbeResult:
    return ProbeResult(
        result.status,
        result.summary,
        result.details,
        (*result.perfdata, *extra),
        result.started_at,
        result.finished_at,
    )


def _health_measures(state: FactoryState, limits: Limits) -> list[Measure]:
    found: list[Measure] = []
    if state.root_disk_avail_kb is not None:
        found.append(measure("root_disk_avail", state.root_disk_avail_kb, limits, "KB", minimum=0))
    if state.root_disk_avail_inodes is not None:
        found.append(measure("root_inodes_avail", state.root_disk_avail_inodes, limits, minimum=0))
    if state.load_average is not None and state.max_processors:
        per = state.load_average / state.max_processors
        found.append(measure("load_per_processor", per, limits, minimum=0))
    if state.swap_used_kb is not None and state.swap_free_kb is not None:
        total = state.swap_used_kb + state.swap_free_kb
        # A factory without swap cannot be short of it.
        if total > 0:
            pct = 100.0 * state.swap_used_kb / total
            found.append(measure("swap_used", pct, limits, "%", minimum=0, maximum=100))
    for name, when in state.daemon_heartbeats().items():
        found.append(
            _seconds(f"{name}_heartbeat_age", max(0.0, state.reference_time - when), limits)
        )
    return found


def check_factory_health(state: FactoryState, now: float, limits: Limits) -> ProbeResult:
    """Disk, inodes, load, swap and the responder/MJF/metadata heartbeats of one factory."""
    found = _health_measures(state, limits)
    if not found:
        return unknown(f"factory {state.factory} reports no health figures", now)
    return combine(found, now, f"factory {state.factory}")


_CODE_RE = re.compile(r"^\s*(\d{3})\b")


def shutdown_code(message: str | None) -> int | None:
    """The MJF shutdown code that starts a shutdown message (`300 Nothing to do` -> 300)."""
    match = _CODE_RE.match(message or "")
    return int(match.group(1)) if match else None


def check_machinetype_outcome(
    outcomes: MachinetypeOutcomes, now: float, limits: Limits
) -> ProbeResult:
    """Share of finished machines that failed (5xx site, 6xx payload, 7xx lifecycle) or fizzled."""
    codes = [shutdown_code(m.shutdown_message) for m in outcomes.finished]
    hours = outcomes.window_seconds / 3600
    if not codes:
        return unknown(f"{outcomes.machinetype}: no machines finished in the last {hours:g} h", now)
    total = len(codes)
    failed = sum(1 for code in codes if code is not None and 500 <= code < 800)
    fizzled = sum(1 for code in codes if code is not None and 300 <= code < 400)
    no_code = sum(1 for code in codes if code is None)
    measures = [
        measure("failed", 100.0 * failed / total, limits, "%", f"{failed}/{total} failed", 0, 100),
        measure(
            "fizzled", 100.0 * fizzled / total, limits, "%", f"{fizzled}/{total} fizzled", 0, 100
        ),
    ]
    result = combine(measures, now, f"{outcomes.machinetype} over {hours:g} h")
    extra = [PerfDatum("finished", total, minimum=0), PerfDatum("no_code", no_code, minimum=0)]
    return _with_perfdata(result, extra)


def check_capacity(sample: CapacitySample, now: float, limits: Limits) -> ProbeResult:
    """Drop in advertised processors against the same time a week earlier."""
    if sample.previous_processors is None:
        return unknown(f"space {sample.space}: no capacity recorded a week ago", now)
    previous, current = sample.previous_processors, sample.current_processors
    drop = 0.0 if previous <= 0 else max(0.0, 100.0 * (previous - current) / previous)
    text = f"capacity {current:g} processors, was {previous:g} a week ago ({drop:.1f}% drop)"
    result = combine(
        [measure("capacity_drop", drop, limits, "%", text, 0, 100)], now, f"space {sample.space}"
    )
    extra = [
        PerfDatum("processors", current, minimum=0),
        PerfDatum("processors_last_week", previous, minimum=0),
    ]
    return _with_perfdata(result, extra)


def check_daemon_version(info: DaemonVersionInput, now: float, limits: Limits) -> ProbeResult:
    """Whether the factory runs at least the configured minimum version of its daemon."""
    if not info.daemon_version:
        return unknown(f"factory {info.factory} reports no daemon version", now)
    try:
        product, version = split_daemon_version(info.daemon_version)
    except ProbeError as error:
        return unknown(f"factory {info.factory}: {error}", now)
    minimum = info.minimum_for(product)
    if minimum is None:
        return unknown(f"factory {info.factory}: no minimum version for {product}", now)
    if version.unreadable:
        return unknown(f"factory {info.factory} could not read its own VERSION file", now)
    below = 1.0 if version < minimum.version else 0.0
    verdict = "below" if below else "at or above"
    text = f"{info.daemon_version} is {verdict} minimum {minimum.text}"
    return combine([measure("below_minimum", below, limits, "", text, 0, 1)], now)


@dataclass(frozen=True)
class BuiltinProbe(Generic[Inputs]):
    """A built-in probe: its ETF test name, target kind, check and default thresholds."""

    test: str
    target_kind: TargetKind
    check: Callable[[Inputs, float, Limits], ProbeResult]
    default_thresholds: Limits = field(default_factory=dict)

    def definition(
        self, fqan: str | None = None, interval: float = 300.0, timeout: float = 60.0, **kw: Any
    ) -> ProbeDefinition:
        thresholds = {**self.default_thresholds, **kw.pop("thresholds", {})}
        return ProbeDefinition(
            metric_name(self.test, fqan), self.target_kind, interval, timeout, thresholds, **kw
        )

    def run(self, inputs: Inputs, now: float, definition: ProbeDefinition) -> ProbeResult:
        return self.check(inputs, now, definition.thresholds)


def _t(warning: str | None, critical: str | None) -> Thresholds:
    return Thresholds.parse(warning, critical)


# Defaults: check-vacd treats a 600 s old heartbeat as dead; the rest are conservative guesses
# that deployments are expected to tune.
BUILTIN_PROBES: dict[str, BuiltinProbe[Any]] = {
    probe.test: probe
    for probe in (
        BuiltinProbe(
            "Factory-Heartbeat",
            TargetKind.FACTORY,
            check_factory_heartbeat,
            {"heartbeat_age": _t("~:300", "~:600"), "silence": _t("~:600", "~:1800")},
        ),
        BuiltinProbe(
            "Space-Heartbeat",
            TargetKind.SPACE,
            check_space_heartbeat,
            {"silence": _t("~:600", "~:1800")},
        ),
        BuiltinProbe(
            "Factory-Health",
            TargetKind.FACTORY,
            check_factory_health,
            {
                "root_disk_avail": _t("1048576:", "262144:"),
                "root_inodes_avail": _t("10000:", "1000:"),
                "load_per_processor": _t("~:1.5", "~:3"),
                "swap_used": _t("~:50", "~:90"),
                "responder_heartbeat_age": _t("~:300", "~:600"),
                "mjf_heartbeat_age": _t("~:300", "~:600"),
                "metadata_heartbeat_age": _t("~:300", "~:600"),
            },
        ),
        BuiltinProbe(
            "Machinetype-Outcome",
            TargetKind.SPACE,
            check_machinetype_outcome,
            {"failed": _t("~:20", "~:50"), "fizzled": _t("~:90", None)},
        ),
        BuiltinProbe(
            "Space-Capacity",
            TargetKind.SPACE,
            check_capacity,
            {"capacity_drop": _t("~:25", "~:50")},
        ),
        BuiltinProbe(
            "Factory-Version",
            TargetKind.FACTORY,
            check_daemon_version,
            {"below_minimum": _t("0", None)},
        ),
    )
}
