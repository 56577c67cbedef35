"""Machine outcomes from machinetype_status, each once, by aggregation (pure builders and
parsers).

Every machinetype_status repeats its machinetype's last outcome until another machine
finishes (`vacmon.store.shutdowns`), so reading the messages themselves moves hundreds of
copies of each. A composite aggregation over the outcome's key, newest shutdown first,
returns each once: the embedded store's `MachineShutdown` rows, without a side table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vacmon.store.base import Scope
from vacmon.store.es.builders import scope_filters, time_range
from vacmon.store.shutdowns import Key, Shutdown

PAGE = 1000
# The key first (shutdown time newest first, so pages come in the order the answer wants),
# then what a copy of the same outcome may differ in; the newest copy's values are kept.
SOURCES = (
    ("shutdown_time", "desc", False),
    ("site", "asc", False),
    ("space", "asc", False),
    ("factory", "asc", False),
    ("shutdown_machine", "asc", False),
    ("machinetype", "asc", True),
    ("vo", "asc", True),
    ("shutdown_message", "asc", False),
)
FILTER_PATH = [
    "aggregations.outcomes.after_key",
    "aggregations.outcomes.buckets.key",
    "aggregations.outcomes.buckets.newest.value",
]


def query(
    *, since: int, until: int, received_until: int, scope: Scope, after: dict[str, Any] | None
) -> dict[str, Any]:
    """One page of outcomes with a shutdown time in [since, until], named by messages
    received in [since, received_until]."""
    sources = []
    for name, order, missing in SOURCES:
        spec: dict[str, Any] = {"field": name, "order": order}
        if missing:
            spec["missing_bucket"] = True
        sources.append({name: {"terms": spec}})
    composite: dict[str, Any] = {"size": PAGE, "sources": sources}
    if after is not None:
        composite["after"] = after
    window = {"gte": since, "lte": until, "format": "epoch_second"}
    return {
        "size": 0,
        "track_total_hits": False,
        "query": {
            "bool": {
                "filter": [
                    time_range(since, received_until),
                    {"range": {"shutdown_time": window}},
                    *scope_filters("machinetype_status", scope),
                ]
            }
        },
        "aggs": {
            "outcomes": {
                "composite": composite,
                "aggs": {"newest": {"max": {"field": "@timestamp"}}},
            }
        },
    }


@dataclass
class Outcomes:
    """Collects pages; each outcome once, as named by its newest message."""

    limit: int
    found: dict[Key, tuple[float, Shutdown]] = field(default_factory=dict)
    last_time: int | None = None  # the shutdown time of the last bucket read

    def add_page(self, body: Mapping[str, Any]) -> dict[str, Any] | None:
        agg = body.get("aggregations", {}).get("outcomes")
        buckets = agg.get("buckets", []) if agg else []
        for bucket in buckets:
            self._add(bucket["key"], float(bucket.get("newest", {}).get("value") or 0))
        return agg.get("after_key") if agg and buckets else None

    def _add(self, key: Mapping[str, Any], newest: float) -> None:
        when = int(key["shutdown_time"]) // 1000
        self.last_time = when
        machine, text = key["shutdown_machine"], key["shutdown_message"]
        if not (machine and when and text):
            return  # 0 and "" mean "none yet" on the wire
        outcome = Shutdown(
            factory=str(key["factory"]),
            machine=str(machine),
            time=when,
            message=str(text),
            site=str(key["site"]),
            space=str(key["space"]),
            machinetype=str(key.get("machinetype") or ""),
            vo=key.get("vo"),
        )
        before = self.found.get(outcome.key)
        if before is None or newest > before[0]:
            self.found[outcome.key] = (newest, outcome)

    def complete(self) -> bool:
        """Whether the newest `limit` outcomes are all read: pages come newest shutdown
        first, so once the reading has passed the limit-th time nothing can join them."""
        if len(self.found) < self.limit or self.last_time is None:
            return False
        return self.last_time < self._ordered()[self.limit - 1].time

    def result(self) -> list[Shutdown]:
        return self._ordered()[: self.limit]

    def _ordered(self) -> list[Shutdown]:
        # Ties in time: the outcome named most recently first, as a read of the messages
        # newest first finds them.
        ranked = sorted(self.found.values(), key=lambda p: (-p[1].time, -p[0]))
        return [outcome for _, outcome in ranked]
