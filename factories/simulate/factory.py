"""One simulated factory (a Vac hypervisor or a Vcycle manager) cycle by cycle.

Machines start, run and stop with a shutdown-code mix that depends on how much work their
VO has; capacity sometimes changes; a factory can have outages or go silent for good. The
model only advances when asked to, and only from its own seeded RNG, so the messages a
factory sends do not depend on how the caller slices time.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from typing import Any

from factories.build import factory_status, machine_status, machinetype_status
from factories.model import Capacity, HostStatus, MachineState, MachinetypeState, Totals
from factories.simulate.world import FactorySpec, MachinetypeSpec

FIZZLE_SECONDS = 600
DAY = 86400
NEVER = math.inf

# (code, text, minimum and maximum life in seconds; None = the machinetype's wallclock)
WITH_WORK = (
    (0.60, 200, "200 Success", 3600, None),
    (0.25, 100, "100 No time left for slot", None, None),
    (0.10, 700, "700 Failed, probably JobAgent or Application problem", 1800, 43200),
    (0.05, 600, "600 Matcher Failed", 600, 3600),
)
WITHOUT_WORK = (
    (0.80, 300, "300 Nothing to do", 240, 900),
    (0.10, 500, "500 Certificate/proxy not acceptable", 120, 600),
    (0.05, 400, "400 Site/host/VM is currently banned", 60, 300),
    (0.05, 700, "700 Heartbeat file not created", 600, 700),
)


@dataclass(slots=True)
class SimMachine:
    name: str
    machinetype: MachinetypeSpec
    uuid: str
    created: int
    started: int
    ends: int
    code: int
    message: str
    processors: int
    efficiency: float


@dataclass(slots=True)
class Rates:
    """Per-factory event rates, per day."""

    outages_per_day: float = 0.1
    capacity_changes_per_day: float = 0.05
    stale_at: float = NEVER  # epoch after which the factory never speaks again


class SimFactory:
    def __init__(self, spec: FactorySpec, rng: random.Random, start: int, cycle: int, rates: Rates):
        self.spec = spec
        self.rng = rng
        self.cycle = cycle
        self.rates = rates
        self.slots = spec.slots
        self.next_cycle = start + rng.uniform(0, cycle)
        self.down_until = 0.0
        self.boot_time = start - rng.randint(DAY, 60 * DAY)
        self.machines: list[SimMachine] = []
        self.last_finish: dict[str, tuple[str, int, str]] = {}
        self.last_abort: dict[str, int] = {}
        self.phase = rng.uniform(0, 2 * math.pi)

    @property
    def stale(self) -> bool:
        return self.next_cycle >= self.rates.stale_at

    def run_until(self, until: float, out: list[dict[str, Any]]) -> None:
        """Run every cycle due at or before `until`, appending the messages sent."""
        while self.next_cycle <= until and not self.stale:
            now = int(self.next_cycle)
            self.next_cycle += self.cycle * self.rng.uniform(1.0, 1.3)
            self._one_cycle(now, out)

    def _one_cycle(self, now: int, out: list[dict[str, Any]]) -> None:
        per_cycle = self.cycle / DAY
        if now < self.down_until:
            return
        if self.rng.random() < self.rates.outages_per_day * per_cycle:
            length = self.rng.uniform(600, 4 * 3600)
            self.down_until = now + length
            if length > 1800:
                self.boot_time = int(now + length - 300)  # came back after a reboot
            return
        if self.rng.random() < self.rates.capacity_changes_per_day * per_cycle:
            factor = self.rng.choice((0.5, 0.75, 1.25, 1.5))
            self.slots = max(
                self.spec.slots // 2, min(self.spec.slots * 2, int(self.slots * factor))
            )
        out.extend(self._finish(now))
        self._create(now)
        out.extend(self._status(now))

    def _finish(self, now: int) -> list[dict[str, Any]]:
        done = [m for m in self.machines if m.ends <= now]
        if not done:
            return []
        self.machines = [m for m in self.machines if m.ends > now]
        messages = []
        for m in done:
            self.last_finish[m.machinetype.name] = (m.message, m.ends, m.name)
            if m.code >= 300:
                self.last_abort[m.machinetype.name] = m.ends
            messages.append(
                machine_status(self.spec.sender, now=now, machine=self._machine_state(m))
            )
        return messages

    def _machine_state(self, m: SimMachine) -> MachineState:
        life = max(0, m.ends - m.started)
        hs06 = self.spec.hs06_per_processor
        return MachineState(
            name=m.name,
            state="Shut down",
            machinetype=m.machinetype.name,
            uuid=m.uuid,
            created_time=m.created,
            started_time=m.started,
            heartbeat_time=m.ends,
            num_processors=m.processors,
            cpu_seconds=int(life * m.processors * m.efficiency),
            cpu_percentage=round(100 * m.processors * m.efficiency, 1),
            hs06=hs06 * m.processors if hs06 is not None else None,
            shutdown_message=m.message,
            shutdown_time=m.ends,
            fqan=m.machinetype.fqan,
            machine_model="cernvm4",
            num_machines=self.slots if self.spec.sender.flavour.is_vac else 1,
            stopped_time=m.ends,
        )

    def _create(self, now: int) -> None:
        vac = self.spec.sender.flavour.is_vac
        budget = 1 if vac else max(1, math.ceil(self.slots * 0.1))
        running: dict[str, int] = {}
        for m in self.machines:
            running[m.machinetype.name] = running.get(m.machinetype.name, 0) + m.processors
        free = self.slots - sum(running.values())
        for _ in range(budget):
            mt = self._choose(now, running)
            if mt is None or mt.processors > free:
                return
            self.machines.append(self._new_machine(mt, now))
            running[mt.name] = running.get(mt.name, 0) + mt.processors
            free -= mt.processors

    def _choose(self, now: int, running: dict[str, int]) -> MachinetypeSpec | None:
        horizon = now - FIZZLE_SECONDS - 10
        best: MachinetypeSpec | None = None
        best_key = (math.inf, 0.0)
        for mt in self.spec.machinetypes:
            if self.last_abort.get(mt.name, 0) >= horizon:
                continue  # backing off after a recent abort
            # Target shares: the type furthest below its share, ties broken at random.
            key = (running.get(mt.name, 0) / mt.share, self.rng.random())
            if key < best_key:
                best, best_key = mt, key
        return best

    def _new_machine(self, mt: MachinetypeSpec, now: int) -> SimMachine:
        rng = self.rng
        work = mt.work * (1 + 0.15 * math.sin(2 * math.pi * now / DAY + self.phase))
        table = WITH_WORK if rng.random() < work else WITHOUT_WORK
        _p, code, text, low, high = rng.choices(table, weights=[row[0] for row in table])[0]
        wall = mt.max_wallclock_seconds
        life = wall if low is None else int(rng.uniform(low, high if high is not None else wall))
        started = now + rng.randint(20, 120)
        return SimMachine(
            name=self._name(mt),
            machinetype=mt,
            uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            created=now,
            started=started,
            ends=started + life,
            code=code,
            message=text,
            processors=mt.processors,
            efficiency=rng.uniform(0.85, 0.99) if code in (100, 200) else rng.uniform(0.02, 0.4),
        )

    def _name(self, mt: MachinetypeSpec) -> str:
        if not self.spec.sender.flavour.is_vac:
            chars = "abcdefghijklmnopqrstuvwxyz0123456789"
            return f"vcycle-{mt.name}-" + "".join(self.rng.choices(chars, k=10))
        used = {m.name for m in self.machines}
        short, _, domain = self.spec.sender.factory.partition(".")
        for slot in range(self.slots * 2):
            name = f"{short}-{slot:02d}.{domain}"
            if name not in used:
                return name
        return f"{short}-{len(used):02d}.{domain}"

    def _status(self, now: int) -> list[dict[str, Any]]:
        sender = self.spec.sender
        by_type: dict[str, list[SimMachine]] = {mt.name: [] for mt in self.spec.machinetypes}
        for m in self.machines:
            by_type[m.machinetype.name].append(m)
        types = [
            self._machinetype_state(mt, by_type[mt.name], now) for mt in self.spec.machinetypes
        ]
        processors = sum(m.processors for m in self.machines)
        hs06 = self.spec.hs06_per_processor
        totals = Totals(processors, len(self.machines), hs06 * processors if hs06 else None)
        capacity = Capacity(self.slots, self.slots, hs06)
        host = self._host(now, processors)
        messages = [factory_status(sender, now=now, host=host, running=totals, capacity=capacity)]
        messages.extend(
            machinetype_status(sender, now=now, machinetype=t, num_machinetypes=len(types))
            for t in types
        )
        return messages

    def _machinetype_state(
        self, mt: MachinetypeSpec, mine: list[SimMachine], now: int
    ) -> MachinetypeState:
        processors = sum(m.processors for m in mine)
        hs06 = self.spec.hs06_per_processor
        message, when, machine = self.last_finish.get(mt.name, (None, None, None))
        return MachinetypeState(
            name=mt.name,
            running_machines=len(mine),
            running_processors=processors,
            running_hs06=hs06 * processors if hs06 else None,
            num_before_fizzle=sum(1 for m in mine if m.started > now - FIZZLE_SECONDS),
            shutdown_message=message,
            shutdown_time=when,
            shutdown_machine=machine,
            fqan=mt.fqan,
            max_wallclock_seconds=mt.max_wallclock_seconds,
            max_processors=mt.processors,
        )

    def _host(self, now: int, busy: int) -> HostStatus:
        rng = self.rng
        vac = self.spec.sender.flavour.is_vac
        mem_total = (self.spec.slots * 2048 + 8192) * 1024 if vac else 8010244
        used_share = 0.1 + 0.85 * busy / max(1, self.slots) if vac else rng.uniform(0.6, 0.8)
        return HostStatus(
            root_disk_avail_kb=10485760 - rng.randint(0, 1048576),
            root_disk_avail_inodes=3200000 - rng.randint(0, 10000),
            daemon_disk_avail_kb=max(0, 209715200 - busy * 2097152 - rng.randint(0, 1048576)),
            daemon_disk_avail_inodes=26000000 - busy * 100,
            load_average=round(busy * rng.uniform(0.8, 1.0) if vac else rng.uniform(0.1, 1.0), 2),
            kernel_version=self.spec.kernel,
            os_issue=self.spec.os_issue,
            boot_time=self.boot_time,
            mem_total_kb=mem_total,
            mem_used_kb=int(mem_total * min(used_share, 0.98)),
            swap_used_kb=rng.randint(0, 100000) if vac else 0,
            swap_free_kb=8312060 if vac else 0,
            factory_heartbeat_time=now - (rng.randint(1, 10) if vac else 0),
            responder_heartbeat_time=now - rng.randint(1, 60),
            mjf_heartbeat_time=now - rng.randint(1, 10),
            metadata_heartbeat_time=now - rng.randint(1, 10),
        )
