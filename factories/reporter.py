"""The once-per-cycle reporter a lifecycle manager calls (spec vac-protocol.md 1.6).

Each cycle sends one factory_status, then one machinetype_status per machinetype, then one
machine_status per machine that has finished since the last cycle, all as one batch to
every transport. A finished machine is reported once: the reporter remembers which ones it
has already sent (a bounded memory, enough for days of machines).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from factories.build import factory_status, machine_status, machinetype_status
from factories.collect import HostCollector
from factories.model import (
    Capacity,
    HostStatus,
    MachineState,
    MachinetypeState,
    Sender,
    Totals,
)
from factories.transport.base import SendResult, Transport


def totals_of(machinetypes: Iterable[MachinetypeState]) -> Totals:
    """Factory totals as the sum over its machinetypes; HS06 only if some type has it."""
    processors, machines, hs06, any_hs06 = 0.0, 0, 0.0, False
    for mt in machinetypes:
        processors += mt.running_processors
        machines += mt.running_machines
        if mt.running_hs06 is not None:
            hs06 += mt.running_hs06
            any_hs06 = True
    return Totals(round(processors), machines, hs06 if any_hs06 else None)


@dataclass(slots=True)
class CycleReport:
    messages: list[dict[str, Any]]
    results: list[SendResult] = field(default_factory=list)

    @property
    def total(self) -> SendResult:
        out = SendResult()
        for result in self.results:
            out.add(result)
        return out


class Reporter:
    def __init__(
        self,
        sender: Sender,
        transports: Sequence[Transport],
        *,
        capacity: Capacity,
        host: Callable[[], HostStatus] | None = None,
        clock: Callable[[], float] = time.time,
        remember: int = 100_000,
    ) -> None:
        self.sender = sender
        self.transports = list(transports)
        self.capacity = capacity
        self.host = host if host is not None else HostCollector().collect
        self.clock = clock
        self._sent: OrderedDict[tuple[str, int | None], None] = OrderedDict()
        self._remember = remember

    def build(
        self,
        machinetypes: Sequence[MachinetypeState],
        machines: Iterable[MachineState] = (),
        *,
        running: Totals | None = None,
    ) -> list[dict[str, Any]]:
        """The messages of one cycle, without sending; finished machines are not yet
        marked as sent."""
        now = int(self.clock())
        totals = running if running is not None else totals_of(machinetypes)
        messages = [
            factory_status(
                self.sender, now=now, host=self.host(), running=totals, capacity=self.capacity
            )
        ]
        messages.extend(
            machinetype_status(
                self.sender, now=now, machinetype=mt, num_machinetypes=len(machinetypes)
            )
            for mt in machinetypes
        )
        messages.extend(
            machine_status(self.sender, now=now, machine=m) for m in self._unsent(machines)
        )
        return messages

    def report(
        self,
        machinetypes: Sequence[MachinetypeState],
        machines: Iterable[MachineState] = (),
        *,
        running: Totals | None = None,
    ) -> CycleReport:
        """Build this cycle's messages and send them through every transport."""
        finished = self._unsent(machines)
        report = CycleReport(self.build(machinetypes, finished, running=running))
        for transport in self.transports:
            report.results.append(transport.send(report.messages))
        for machine in finished:
            self._mark_sent(machine)
        return report

    def _unsent(self, machines: Iterable[MachineState]) -> list[MachineState]:
        return [m for m in machines if m.finished and _key(m) not in self._sent]

    def _mark_sent(self, machine: MachineState) -> None:
        self._sent[_key(machine)] = None
        while len(self._sent) > self._remember:
            self._sent.popitem(last=False)

    def close(self) -> None:
        for transport in self.transports:
            transport.close()


def _key(machine: MachineState) -> tuple[str, int | None]:
    # Vac reuses machine names slot by slot; the creation time tells two lives apart.
    return machine.name, machine.created_time
