"""A pure, seedable model of a fleet of factories that yields the messages they send.

    fleet = Fleet(seed=7, sites=10, factories=5, machinetypes=4, start=t0)
    for message in fleet.stream(until=t0 + 30 * 86400):
        ...  # wire dicts, exactly as the senders build them, in time_sent order

No sockets and no wall clock: time only moves when `advance`/`stream` is called, and the
same seed gives the same messages however the caller slices time.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from factories.model import Sender
from factories.simulate.factory import NEVER, Rates, SimFactory
from factories.simulate.world import build_world


class Fleet:
    def __init__(
        self,
        *,
        start: int,
        seed: int = 0,
        sites: int = 3,
        factories: int = 3,
        machinetypes: int = 3,
        cycle_seconds: int = 60,
        vcycle_share: float = 0.25,
        stale_share: float = 0.1,
        stale_within: int = 3 * 86400,
        outages_per_day: float = 0.1,
        capacity_changes_per_day: float = 0.05,
    ) -> None:
        """`factories` is per site and `machinetypes` per space. A `stale_share` of the
        factories goes silent for good at a random time within `stale_within` seconds."""
        if min(sites, factories, machinetypes) < 1 or cycle_seconds < 1:
            raise ValueError("sites, factories, machinetypes and cycle_seconds must be >= 1")
        world = random.Random(f"{seed}:world")
        specs = build_world(
            world,
            sites=sites,
            factories=factories,
            machinetypes=machinetypes,
            vcycle_share=vcycle_share,
        )
        self.clock = start
        self.factories: list[SimFactory] = []
        for spec in specs:
            rng = random.Random(f"{seed}:factory:{spec.index}")
            stale_at = start + rng.uniform(0, stale_within) if rng.random() < stale_share else NEVER
            rates = Rates(outages_per_day, capacity_changes_per_day, stale_at)
            self.factories.append(SimFactory(spec, rng, start, cycle_seconds, rates))

    @property
    def senders(self) -> list[Sender]:
        return [f.spec.sender for f in self.factories]

    def stale_factories(self) -> list[str]:
        """Factories that have gone silent for good by the current clock."""
        return [f.spec.sender.factory for f in self.factories if f.rates.stale_at <= self.clock]

    def advance(self, until: int) -> list[dict[str, Any]]:
        """Every message sent in (clock, until], ordered by time_sent; moves the clock."""
        if until <= self.clock:
            return []
        out: list[dict[str, Any]] = []
        for factory in self.factories:
            factory.run_until(until, out)
        self.clock = until
        # Stable sort: ties keep factory order, then each factory's own sending order.
        out.sort(key=lambda message: int(message["time_sent"]))
        return out

    def report_now(self) -> list[dict[str, Any]]:
        """Every live factory reports its current state at the clock, as a real Vac does when
        it starts, then keeps its cycle from there. Without it the first reports would wait
        for each factory's cycle boundary, up to a whole cycle."""
        out: list[dict[str, Any]] = []
        for factory in self.factories:
            if not factory.stale:
                factory.next_cycle = min(factory.next_cycle, self.clock)
                factory.run_until(self.clock, out)
        out.sort(key=lambda message: int(message["time_sent"]))
        return out

    def stream(self, until: int, step: int = 3600) -> Iterator[dict[str, Any]]:
        """Yield messages up to `until`, advancing `step` seconds at a time (memory stays
        bounded even for months of data)."""
        while self.clock < until:
            yield from self.advance(min(self.clock + step, until))
