"""Probe definitions from the database, checked and turned into the core's types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings

from probes.builtin import BUILTIN_PROBES
from probes.model import MetricName, ProbeDefinition, ProbeError, Target, TargetKind
from probes.nagios import PluginOutputError, Thresholds
from probes.plugin import DEBIAN_PLUGIN_DIR, PluginCommand, resolve_plugin
from vacmon.models import ProbeDefinition as DefinitionRow

# Flavours of targets whose definition names none (spec 2.4: VAC/VCYCLE for spaces). A
# factory is not a service in any VO feed, so its flavour is kept apart from its space's:
# the A/R metric profile can then expect factory metrics only of factory endpoints.
FACTORY_SUFFIX = "-FACTORY"
SITE_FLAVOUR = "SITE"
SPACE_FLAVOURS = ("VAC", "VCYCLE")
MIN_INTERVAL = 60


def parse_thresholds(document: Any) -> dict[str, Thresholds]:
    """`{"label": {"warning": "~:300", "critical": "~:600"}}` -> Thresholds per label."""
    if not isinstance(document, Mapping):
        raise ProbeError("thresholds must be an object of label -> {warning, critical}")
    parsed: dict[str, Thresholds] = {}
    for label, ranges in document.items():
        if not isinstance(ranges, Mapping) or set(ranges) - {"warning", "critical"}:
            raise ProbeError(f"thresholds of {label!r} must have only warning and critical")
        warning, critical = ranges.get("warning"), ranges.get("critical")
        if not all(v is None or isinstance(v, str) for v in (warning, critical)):
            raise ProbeError(f"thresholds of {label!r} must be Nagios range strings")
        try:
            parsed[str(label)] = Thresholds.parse(warning, critical)
        except PluginOutputError as error:
            raise ProbeError(f"thresholds of {label!r}: {error}") from None
    return parsed


def plugin_dirs() -> list[str]:
    return [DEBIAN_PLUGIN_DIR, *settings.VACMON_PROBE_PLUGIN_DIRS]


def _check_command(row: DefinitionRow) -> None:
    resolve_plugin(row.executable, plugin_dirs())
    if not isinstance(row.args, list) or not all(isinstance(a, str) for a in row.args):
        raise ProbeError("args must be a list of strings")
    env = row.env
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise ProbeError("env must be an object of strings")


def check_definition(row: DefinitionRow) -> ProbeDefinition:
    """Every rule a stored definition must satisfy; raises ProbeError naming the first broken."""
    if bool(row.builtin) == bool(row.executable):
        raise ProbeError("a probe is either built-in or an external executable, not both")
    if row.builtin:
        probe = BUILTIN_PROBES.get(row.builtin)
        if probe is None:
            raise ProbeError(f"no built-in probe {row.builtin!r}; known: {sorted(BUILTIN_PROBES)}")
        if probe.target_kind != row.target_kind:
            raise ProbeError(f"{row.builtin} runs on {probe.target_kind} targets")
    else:
        _check_command(row)
    if row.interval < MIN_INTERVAL:
        raise ProbeError(f"interval must be at least {MIN_INTERVAL} s, the beat's period")
    if row.target_kind == TargetKind.ENDPOINT and not row.flavour:
        raise ProbeError("endpoint probes must name the flavour of their endpoints")
    if not isinstance(row.options, dict):
        raise ProbeError("options must be an object")
    return core_definition(row)


def core_definition(row: DefinitionRow, metric: str | None = None) -> ProbeDefinition:
    thresholds = parse_thresholds(row.thresholds)
    if row.builtin and row.builtin in BUILTIN_PROBES:
        # Stored thresholds override the built-in defaults label by label.
        thresholds = {**BUILTIN_PROBES[row.builtin].default_thresholds, **thresholds}
    return ProbeDefinition(
        metric or row.metric,
        TargetKind(row.target_kind),
        float(row.interval),
        float(row.timeout),
        thresholds,
        vo=row.vo or None,
    )


def fanned_out(row: DefinitionRow) -> bool:
    """Machinetype-Outcome emits one metric per VO FQAN, never its bare name."""
    return row.builtin == "Machinetype-Outcome"


def flavours_of(row: DefinitionRow) -> tuple[str, ...]:
    """The flavours whose endpoints this definition's results belong to."""
    if row.flavour:
        return (row.flavour,)
    if row.target_kind == TargetKind.SPACE:
        return SPACE_FLAVOURS
    if row.target_kind == TargetKind.FACTORY:
        return tuple(f + FACTORY_SUFFIX for f in SPACE_FLAVOURS)
    return (SITE_FLAVOUR,)


def _expand(text: str, target: Target) -> str:
    # Nagios-style macros rather than str.format, so braces in arguments stay literal.
    return (
        text.replace("$HOSTNAME$", target.hostname)
        .replace("$HOSTADDRESS$", target.hostname)
        .replace("$SITE$", target.site or "")
        .replace("$FLAVOUR$", target.service_flavour)
    )


def plugin_command(row: DefinitionRow, target: Target) -> PluginCommand:
    """The command of one run. The plugin is found again now, so a row written past the
    checks (or a plugin removed since) cannot run anything outside the plugin directories."""
    return PluginCommand(
        resolve_plugin(row.executable, plugin_dirs()),
        [_expand(arg, target) for arg in row.args],
        {str(k): _expand(str(v), target) for k, v in row.env.items()},
        float(row.timeout),
    )


def metric_with_fqan(metric: str, fqan: str) -> str:
    return str(MetricName.parse(f"{metric}-{fqan}"))
