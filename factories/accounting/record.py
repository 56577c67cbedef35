"""APEL individual job records exactly as Vac and Vcycle write them (spec vac-protocol.md
6.1 and 6.2), checked against the APEL loader's rules (spec apel-ssm.md 1.1, 1.4)."""

from __future__ import annotations

from factories.model import DEFAULT_FIZZLE_SECONDS, MachineState, Sender

HEADER = "APEL-individual-job-message: v0.3"
END = "%%"
Fields = list[tuple[str, str]]


class ApelError(ValueError):
    """A record that the APEL loader would refuse; it is not written."""


def global_user_name(space: str) -> str:
    """The synthetic DN of a space: `a.b.c` -> `/DC=c/DC=b/DC=a`."""
    return "".join(f"/DC={part}" for part in reversed(space.split(".")))


def vac_fields(
    sender: Sender,
    machine: MachineState,
    *,
    mb_per_processor: int = 2048,
    fizzle_seconds: int = DEFAULT_FIZZLE_SECONDS,
) -> Fields | None:
    """Vac's record, or None when Vac writes none: the machine never started, has no
    heartbeat, or lived less than fizzle_seconds (spec 6.1)."""
    m = machine
    started, heartbeat = m.started_time, m.heartbeat_time
    if started is None or heartbeat is None or heartbeat - started < fizzle_seconds:
        return None
    rss = m.max_rss_bytes
    if rss is None:
        rss = mb_per_processor * m.num_processors * 1048576
    # Vac >= 03.00 sends HS06 per processor; unknown HS06 is 1.0.
    level = m.hs06 / m.num_processors if m.hs06 is not None and m.num_processors else 1.0
    memory = str(rss // 1048576 * 1024)
    return [
        *_common(sender, m, f"vac-{sender.factory}", sender.factory),
        ("WallDuration", str(heartbeat - started)),
        ("CpuDuration", str(m.cpu_seconds)),
        ("Processors", str(m.num_processors)),
        ("NodeCount", "1"),
        ("InfrastructureDescription", "APEL-VAC"),
        ("InfrastructureType", "grid"),
        ("StartTime", str(started)),
        ("EndTime", str(heartbeat)),
        ("MemoryReal", memory),
        ("MemoryVirtual", memory),
        ("ServiceLevelType", "HEPSPEC"),
        ("ServiceLevel", str(float(level))),
    ]


def vcycle_fields(
    sender: Sender, machine: MachineState, *, fizzle_seconds: int = DEFAULT_FIZZLE_SECONDS
) -> Fields | None:
    """Vcycle's record (spec 6.2): wall = CPU = stopped - started, machine name as the local
    user, total machine HS06 as ServiceLevel; None if stopped within fizzle_seconds."""
    m = machine
    started, stopped = m.started_time, m.stopped_time
    if started is None or stopped is None or stopped - started < fizzle_seconds:
        return None
    wall = str(stopped - started)
    fields = [
        *_common(sender, m, f"vcycle-{sender.factory}", m.name),
        ("WallDuration", wall),
        ("CpuDuration", wall),
        ("Processors", str(m.num_processors)),
        ("NodeCount", "1"),
        ("InfrastructureDescription", "APEL-VCYCLE"),
        ("InfrastructureType", "grid"),
        ("StartTime", str(started)),
        ("EndTime", str(stopped)),
    ]
    if m.max_rss_bytes is not None:
        fields += [("MemoryReal", str(m.max_rss_bytes // 1024))]
        fields += [("MemoryVirtual", str(m.max_rss_bytes // 1024))]
    level = float(m.hs06) if m.hs06 is not None else 1.0
    return [*fields, ("ServiceLevelType", "HEPSPEC"), ("ServiceLevel", str(level))]


def _common(sender: Sender, m: MachineState, host: str, local_user: str) -> Fields:
    fields = [
        ("Site", sender.site_name),
        ("SubmitHost", f"{sender.space}/{host}"),
        ("LocalJobId", m.uuid or ""),
        ("LocalUserId", local_user),
        ("Queue", m.machinetype or ""),
        ("GlobalUserName", global_user_name(sender.space)),
    ]
    if m.fqan:
        fields.append(("FQAN", m.fqan))
    return fields


def render(fields: Fields) -> str:
    """The message text: header, `Key: value` lines, `%%`, newline. Refuses what the loader
    would refuse: empty mandatory values, non-ASCII, `%%` or line breaks in a value."""
    for name, value in fields:
        if name in ("Site", "LocalJobId") and not value:
            raise ApelError(f"{name} is empty")
        if not value.isascii() or END in value or "\n" in value or "\r" in value:
            raise ApelError(f"{name} cannot be sent to APEL: {value!r:.80}")
    lines = [HEADER, *(f"{name}: {value}" for name, value in fields), END]
    return "\n".join(lines) + "\n"
