"""The store interface: the one shape every storage backend presents.

Callers pass and receive plain dataclasses (and `factories.messages.Message`), never ORM
objects or Elasticsearch bodies, so the embedded and Elasticsearch backends are swappable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from factories.messages import Message
from vacmon.store.heartbeats import FactoryHealth
from vacmon.store.shutdowns import Shutdown

T = TypeVar("T")

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
    machinetype), before carry-forward and summing: what a backend that cannot sum in its
    own queries reads, and hands to `vacmon.store.series.combine`."""

    group: str
    entity: tuple[str, ...]
    averages: dict[int, float]  # bucket start -> average of the samples in it
    last_before: tuple[int, float] | None = None  # newest sample before the window


@dataclass(frozen=True)
class ChartQuery:
    """One chart read: `metrics` of `message_type` in [since, until], bucketed by `interval`,
    each sender averaged per bucket and carried forward until it is `stale_seconds` old,
    summed per value of `group_by` over the senders in `scope`."""

    message_type: str
    metrics: tuple[str, ...]
    group_by: str
    since: int
    until: int
    interval: int
    scope: Scope = Scope()
    stale_seconds: int = 0

    def check(self) -> None:
        """Refuse a chart no backend can draw, with the reason."""
        if self.interval <= 0 or self.since > self.until or self.stale_seconds < 0:
            raise ValueError("a chart needs a positive interval, since <= until, stale >= 0")
        for metric in self.metrics:
            check_series(self.message_type, metric, self.group_by)


@dataclass
class Series:
    """A gap-aware time series: `values[g][i]` is None where group g had no data."""

    start: int
    interval: int
    times: list[int]
    values: dict[str, list[float | None]] = field(default_factory=dict)


class Writer(Protocol):
    """What ingest and the scheduled maintenance use."""

    def prepare(self, messages: Sequence[Message]) -> Sequence[Message]:
        """The batch `write` will be given, with what needs no database done: ingest calls
        it before taking the write lock. The messages themselves are unchanged."""

    def write(self, messages: Sequence[Message]) -> WriteResult:
        """Store a batch; messages whose natural key is already stored count as duplicates."""

    def maintain(self, now: int) -> None:
        """The periodic upkeep the backend needs at time `now` (rollups, retention); run
        every minute, each run picking up where the last one stopped."""

    def spooled(self) -> tuple[int, int]:
        """Bytes and segment files of accepted messages waiting on local disk for the
        backend to come back; (0, 0) for a backend written straight."""


class Reader(Protocol):
    """Stored messages and what is known of their senders, as plain values."""

    def together(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Each call's result, in order, where the calls are reads of this store that do
        not depend on each other: a backend may make their round trips together
        (Elasticsearch sends the searches made at the same time as one `_msearch`). The
        first exception a call raises is raised."""

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

    def shutdowns(
        self, *, since: int, until: int, scope: Scope = Scope(), limit: int = 1000
    ) -> list[Shutdown]:
        """Machine outcomes named by machinetype_status with a shutdown time in
        [since, until], each once, newest first."""

    def heartbeats(
        self, *, since: int, until: int, interval: int, scope: Scope = Scope(), limit: int = 1000
    ) -> FactoryHealth:
        """What `vacmon.store.heartbeats.from_messages` makes of the newest `limit`
        factory_status messages received in [since, until]: heartbeat ages per bucket and
        the versions seen. A backend may compute it without building the messages."""

    def factories(self, *, since: int, scope: Scope = Scope()) -> list[FactoryRef]:
        """Every factory heard from since `since`, with the time of its last message."""

    def machinetypes(self, *, since: int, scope: Scope = Scope()) -> list[MachinetypeRef]:
        """Every factory's machinetype heard from since `since`, with its VO and the time
        of its last message (pages list VOs and machinetypes without reading messages)."""


class Charts(Protocol):
    def chart(self, query: ChartQuery) -> dict[str, Series]:
        """A finished series per metric of `query`: carried forward, gapped and summed per
        group (`vacmon.store.series`). A ValueError names a chart no backend can draw."""


class Store(Writer, Reader, Charts, Protocol):
    """Every role of a backend; callers that need one role may ask for that one."""
