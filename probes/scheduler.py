"""Pure scheduling core: which targets are due when, spread over their interval.

Time is always passed in, so the same code drives a Celery beat fan-out, a long-running
runner and simulated time in tests and benchmarks.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ScheduledTarget:
    key: str
    interval: float

    def __post_init__(self) -> None:
        if self.interval <= 0:
            raise ValueError(f"{self.key}: interval must be positive")


@dataclass(frozen=True)
class DueRun:
    key: str
    due_at: float


def phase_fraction(key: str, seed: str = "") -> float:
    """A stable pseudo-random fraction in [0, 1) per key.

    Hashing (rather than a random draw) keeps each target's slot across restarts and
    leaves the others' slots untouched when targets come and go.
    """
    digest = hashlib.sha256(f"{seed}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class Scheduler:
    """Targets run every `interval` s at `offset + k * interval` (epoch-anchored).

    The offset is `phase_fraction * jitter * interval`, so 10,000 five-minute targets spread
    over the five minutes instead of all firing together. A run that falls more than one
    interval behind is not replayed: missed slots are counted in `skipped`.
    """

    def __init__(self, jitter: float = 1.0, seed: str = "") -> None:
        if not 0 <= jitter <= 1:
            raise ValueError("jitter is a fraction of the interval, between 0 and 1")
        self._jitter = jitter
        self._seed = seed
        self._heap: list[tuple[float, str]] = []
        self._targets: dict[str, ScheduledTarget] = {}
        self.skipped = 0

    def __len__(self) -> int:
        return len(self._targets)

    def offset(self, target: ScheduledTarget) -> float:
        return phase_fraction(target.key, self._seed) * self._jitter * target.interval

    def next_slot(self, target: ScheduledTarget, after: float) -> float:
        """The first slot of `target` at or after `after`."""
        offset = self.offset(target)
        periods = math.ceil((after - offset) / target.interval)
        return offset + periods * target.interval

    def add(self, target: ScheduledTarget, now: float) -> None:
        if target.key in self._targets:
            raise ValueError(f"{target.key} is already scheduled")
        self._targets[target.key] = target
        heapq.heappush(self._heap, (self.next_slot(target, now), target.key))

    def add_all(self, targets: Iterable[ScheduledTarget], now: float) -> None:
        for target in targets:
            self.add(target, now)

    def remove(self, key: str) -> None:
        # Heap entries of removed targets are dropped lazily when they surface.
        self._targets.pop(key, None)

    def next_due(self) -> float | None:
        while self._heap and self._heap[0][1] not in self._targets:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def due(self, now: float, limit: int | None = None) -> list[DueRun]:
        """Pop the runs due at or before `now`, earliest first, and book each target's next."""
        runs: list[DueRun] = []
        while self._heap and self._heap[0][0] <= now and (limit is None or len(runs) < limit):
            due_at, key = heapq.heappop(self._heap)
            target = self._targets.get(key)
            if target is None:
                continue
            runs.append(DueRun(key, due_at))
            following = due_at + target.interval
            if following <= now:
                following = self.next_slot(target, now + 1e-9)
                self.skipped += round((following - due_at) / target.interval) - 1
            heapq.heappush(self._heap, (following, key))
        return runs


class Lateness:
    """How late runs started relative to when they were due."""

    def __init__(self) -> None:
        self._values: list[float] = []

    def record(self, due_at: float, started_at: float) -> float:
        late = max(0.0, started_at - due_at)
        self._values.append(late)
        return late

    def __len__(self) -> int:
        return len(self._values)

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile (p in 0..100); 0 when nothing was recorded."""
        if not self._values:
            return 0.0
        ordered = sorted(self._values)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1]

    @property
    def maximum(self) -> float:
        return max(self._values, default=0.0)
