"""The store interface: the one shape every storage backend presents.

Callers pass and receive plain dataclasses (and `factories.messages.Message`), never ORM
objects or Elasticsearch bodies, so the embedded and Elasticsearch backends are swappable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from factories.messages import Message
from vacmon.store.heartbeats import FactoryHealth
from vacmon.store.shutdowns import Shutdown

# What a series may be grouped by; each is a column of the stored messages.
GROUPS = ("site", "space", "factory", "machinetype", "vo")

# Numeric fields a series may chart, per message type.
SERIES_METRICS: dict[str, tuple[str, ...]] = {
    "factory_status": (
        "running_processors",
        "running_machines",
        "running_hs06",
        "max_processors",
        "max_machines",
        "max_hs06",
        "load_average",
        "mem_total_kb",
        "mem_used_kb",
        "swap_used_kb",
        "swap_free_kb",
        "root_disk_avail_kb",
        "root_disk_avail_inodes",
        "daemon_disk_avail_kb",
        "daemon_disk_avail_inodes",
    ),
    "machinetype_status": (
        "running_processors",
        "running_machines",
        "running_hs06",
        "num_before_fizzle",
    ),
}


# The fields that identify one sender of each type (its "entity"), in every backend.
ENTITY: dict[str, tuple[str, ...]] = {
    "factory_status": ("site", "space", "factory"),
    "machinetype_status": ("site", "space", "factory", "machinetype"),
    "machine_status": ("site", "space", "factory", "machine"),
}


def check_series(message_type: str, metric: str, group_by: str) -> None:
    """Refuse a series no backend can chart, with the reason."""
    if metric not in SERIES_METRICS.get(message_type, ()):
        raise ValueError(f"{metric!r} is not a chartable field of {message_type}")
    allowed = ENTITY[message_type][:3] + (
        ("machinetype", "vo") if message_type == "machinetype_status" else ()
    )
    if group_by not in allowed:
        raise ValueError(f"{message_type} cannot be grouped by {group_by!r}")


@dataclass(frozen=True)
class Scope:
    """Filters shared by every query; None means "any"."""

    site: str | None = None
    space: str | None = None
    factory: str | None = None
    machinetype: str | None = None
    vo: str | None = None
    machine: str | None = None

    def terms(self, message_type: str) -> list[tuple[str, str]]:
        """(field, value) for each filter that is set and that `message_type` carries: a
        factory_status has no machinetype, vo or machine, and only machine_status names a
        machine, so a VO page's scope still selects the factories of its sites."""
        names = ["site", "space", "factory"]
        if message_type != "factory_status":
            names += ["machinetype", "vo"]
        if message_type == "machine_status":
            names.append("machine")
        return [(name, value) for name in names if (value := getattr(self, name)) is not None]


@dataclass(frozen=True)
class WriteResult:
    inserted: int
    duplicates: int
    # Messages the backend refused for good, each with its reason (Elasticsearch answers
    # per item); the caller quarantines them (vacmon.ingest.isolate).
    refused: tuple[tuple[Message, str], ...] = ()


@dataclass(frozen=True)
class FactoryRef:
    site: str
    space: str
    factory: str
    last_seen: int


@dataclass(frozen=True)
class MachinetypeRef:
    site: str
    space: str
    factory: str
    machinetype: str
    vo: str | None
    last_seen: int


@dataclass(frozen=True)
class EntityBuckets:
    """Per-bucket averages of one metric for one sender (a factory, or a factory's
    machinetype): the raw material of every chart, before carry-forward and summing."""

    group: str
    entity: tuple[str, ...]
    averages: dict[int, float]  # bucket start -> average of the samples in it
    last_before: tuple[int, float] | None = None  # newest sample before the window
    # False when the values are already summed over a group's senders for buckets wider
    # than the staleness cut-off: nothing is carried into an empty bucket then.
    carry: bool = True


@dataclass
class Series:
    """A gap-aware time series: `values[g][i]` is None where group g had no data."""

    start: int
    interval: int
    times: list[int]
    values: dict[str, list[float | None]] = field(default_factory=dict)


class Store(Protocol):
    def write(self, messages: Sequence[Message]) -> WriteResult:
        """Store a batch; messages whose natural key is already stored count as duplicates."""

    def latest(
        self,
        message_type: str,
        *,
        since: int,
        until: int | None = None,
        scope: Scope = Scope(),
        fields: Sequence[str] | None = None,
    ) -> list[Message]:
        """The newest message per factory (factory_status), per factory and machinetype
        (machinetype_status) or per machine (machine_status) received in [since, until].
        `fields` as for `history`."""

    def history(
        self,
        message_type: str,
        *,
        since: int,
        until: int,
        scope: Scope = Scope(),
        limit: int = 1000,
        fields: Sequence[str] | None = None,
    ) -> list[Message]:
        """Raw messages received in [since, until], newest first. With `fields`, only those
        fields (and the envelope) are read and `extra` is left empty: pages that read
        thousands of messages for a few columns ask for just those."""

    def entity_buckets(
        self,
        message_type: str,
        metric: str,
        *,
        group_by: str,
        since: int,
        until: int,
        interval: int,
        scope: Scope = Scope(),
        lookback: int = 0,
    ) -> list[EntityBuckets]:
        """Per-sender bucket averages; `lookback` seconds before `since` are searched for
        each sender's last sample so it can be carried into the window."""

    def entity_buckets_many(
        self,
        message_type: str,
        metrics: Sequence[str],
        *,
        group_by: str,
        since: int,
        until: int,
        interval: int,
        scope: Scope = Scope(),
        lookback: int = 0,
        per_group: bool = False,
    ) -> dict[str, list[EntityBuckets]]:
        """`entity_buckets` for several metrics of one message type, read together where
        the backend can (a page charting a factory's health asks for ten).

        With `per_group`, a backend may instead return one EntityBuckets per group, summed
        over its senders with each carried forward `lookback` seconds (carry False): what
        `combine` with `stale_seconds=lookback` makes of the per-sender buckets."""

    def shutdowns(
        self, *, since: int, until: int, scope: Scope = Scope(), limit: int = 1000
    ) -> list[Shutdown]:
        """Machine outcomes named by machinetype_status with a shutdown time in
        [since, until], each once, newest first."""

    def factory_health(
        self, *, since: int, until: int, interval: int, scope: Scope, limit: int
    ) -> FactoryHealth:
        """Heartbeat ages per bucket and versions seen, from the newest `limit`
        factory_status messages received in [since, until] (`vacmon.store.heartbeats`)."""

    def factories(self, *, since: int, scope: Scope = Scope()) -> list[FactoryRef]:
        """Every factory heard from since `since`, with the time of its last message."""

    def machinetypes(self, *, since: int, scope: Scope = Scope()) -> list[MachinetypeRef]:
        """Every factory's machinetype heard from since `since`, with its VO and the time
        of its last message (pages list VOs and machinetypes without reading messages)."""

    def purge(self, *, before: int) -> int:
        """Delete raw messages received before `before`; return how many went."""
