#!/usr/bin/env python
"""Built-in probe scheduling on this machine: lateness p50/p95 and CPU seconds.

Schedules N built-in probe targets (default 10,000) every INTERVAL seconds (default 300)
with the pure scheduler, runs each due probe in-process on a small thread pool over
synthetic factory states, builds its canonical record and renders the MONIT sam3 JSON, for
ROUNDS full intervals (default 2). Time runs SPEEDUP times faster than the wall clock
(default 10, so two 5-minute rounds take 60 s); lateness is reported in simulated seconds,
which is the harsher reading: a real delay of d counts as d * SPEEDUP.

Usage: bench/probes.py [--targets N] [--interval S] [--rounds R] [--speedup X] [--workers W]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vacmon.probes.builtin import BUILTIN_PROBES
from vacmon.probes.inputs import (
    CapacitySample,
    DaemonVersionInput,
    FactoryState,
    FinishedMachine,
    MachinetypeOutcomes,
    SpaceState,
)
from vacmon.probes.model import ProbeRecord, Target, render_sam3_json
from vacmon.probes.scheduler import Lateness, ScheduledTarget, Scheduler

# Share of each built-in probe among the targets: most targets are per-factory checks.
MIX = [
    ("Factory-Heartbeat", 0.35),
    ("Factory-Health", 0.25),
    ("Factory-Version", 0.10),
    ("Space-Heartbeat", 0.10),
    ("Machinetype-Outcome", 0.12),
    ("Space-Capacity", 0.08),
]
SHUTDOWNS = ["200 Success", "300 Nothing to do", "500 Site problem", "700 No heartbeat", None]


@dataclass(frozen=True)
class Job:
    test: str
    target: Target
    make_inputs: Callable[[float], Any]


def factory_state(rng: random.Random, name: str, now: float) -> FactoryState:
    return FactoryState(
        factory=name,
        space=f"space-{rng.randrange(2000)}.example.ac.uk",
        time_received=now - rng.uniform(0, 900),
        time_sent=now - rng.uniform(0, 60),
        factory_heartbeat_time=now - rng.uniform(0, 700),
        responder_heartbeat_time=now - rng.uniform(0, 120),
        mjf_heartbeat_time=now - rng.uniform(0, 120),
        metadata_heartbeat_time=now - rng.uniform(0, 120),
        root_disk_avail_kb=rng.randrange(100_000, 50_000_000),
        root_disk_avail_inodes=rng.randrange(500, 5_000_000),
        load_average=rng.uniform(0, 40),
        swap_used_kb=rng.randrange(0, 4_000_000),
        swap_free_kb=rng.randrange(0, 8_000_000),
        daemon_version=rng.choice(["Vac 03.00.01 vacd-factory", "Vac 03.01+pre00 vacd-factory"]),
        max_processors=rng.choice([8, 16, 32, 64]),
    )


def make_job(rng: random.Random, test: str, index: int) -> Job:
    """A target and a function producing its inputs as the store would at run time."""
    host = f"{test.lower()}-{index}.example.ac.uk"
    seed = rng.random()
    kind = BUILTIN_PROBES[test].target_kind
    flavour = "VAC" if index % 5 else "VCYCLE"
    target = Target(kind, host, flavour, site=f"SITE-{index % 300}")

    def inputs(now: float) -> Any:
        local = random.Random(seed)
        if test in ("Factory-Heartbeat", "Factory-Health"):
            return factory_state(local, host, now)
        if test == "Factory-Version":
            state = factory_state(local, host, now)
            return DaemonVersionInput(host, state.daemon_version, {"Vac": "03.01+pre00"})
        if test == "Space-Heartbeat":
            return SpaceState(host, [factory_state(local, f"f{i}", now) for i in range(4)])
        if test == "Machinetype-Outcome":
            finished = [FinishedMachine(local.choice(SHUTDOWNS), now) for _ in range(40)]
            return MachinetypeOutcomes("lhcb", finished)
        return CapacitySample(host, local.randrange(0, 500), local.choice([None, 400, 450]))

    return Job(test, target, inputs)


def build_jobs(count: int) -> dict[str, Job]:
    rng = random.Random(42)
    jobs: dict[str, Job] = {}
    for test, share in MIX:
        for index in range(round(count * share)):
            jobs[f"{test}/{index}"] = make_job(rng, test, index)
    return jobs


class Runner:
    """Runs one due probe; records lateness when the run actually starts."""

    def __init__(self, clock: Callable[[], float], interval: float) -> None:
        self.clock = clock
        self.lateness = Lateness()
        self.statuses: Counter[str] = Counter()
        self.bytes_out = 0
        self.lock = threading.Lock()
        self.definitions = {
            test: probe.definition(
                fqan="/lhcb/Role=NULL" if test == "Machinetype-Outcome" else None,
                interval=interval,
                timeout=min(60.0, interval),
                vo="lhcb" if test != "Machinetype-Outcome" else None,
            )
            for test, probe in BUILTIN_PROBES.items()
        }

    def run(self, job: Job, due_at: float) -> None:
        started = self.clock()
        definition = self.definitions[job.test]
        result = BUILTIN_PROBES[job.test].run(job.make_inputs(started), started, definition)
        record = ProbeRecord.from_result(definition, job.target, result, "vacmon-bench")
        document = render_sam3_json(record)
        with self.lock:
            self.lateness.record(due_at, started)
            self.statuses[result.status.name] += 1
            self.bytes_out += len(document)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--interval", type=float, default=300.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--speedup", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    jobs = build_jobs(args.targets)
    sim_start = 1_700_000_100.0 - 1_700_000_100.0 % args.interval
    wall_start = time.monotonic()

    def sim_now() -> float:
        return sim_start + (time.monotonic() - wall_start) * args.speedup

    scheduler = Scheduler(seed="bench")
    scheduler.add_all((ScheduledTarget(key, args.interval) for key in jobs), sim_start)
    runner = Runner(sim_now, args.interval)
    cpu_start = cpu_seconds()
    sim_end = sim_start + args.rounds * args.interval
    futures: list[Future[None]] = []
    with ThreadPoolExecutor(args.workers) as pool:
        while (now := sim_now()) < sim_end:
            for run in scheduler.due(min(now, sim_end - 1e-9)):
                futures.append(pool.submit(runner.run, jobs[run.key], run.due_at))
            upcoming = scheduler.next_due() or sim_end
            time.sleep(min(max(0.0, (upcoming - sim_now()) / args.speedup), 0.05))
    for future in futures:
        future.result()  # surface any exception from a probe
    wall = time.monotonic() - wall_start
    cpu = cpu_seconds() - cpu_start
    late = runner.lateness
    print(f"targets={len(jobs)} interval={args.interval:g}s rounds={args.rounds} "
          f"speedup={args.speedup:g} workers={args.workers}")  # fmt: skip
    print(f"runs={len(late)} (expected {len(jobs) * args.rounds}) skipped={scheduler.skipped}")
    print(f"statuses={dict(sorted(runner.statuses.items()))}")
    print(f"lateness p50={late.percentile(50):.3f}s p95={late.percentile(95):.3f}s "
          f"max={late.maximum:.3f}s (simulated seconds)")  # fmt: skip
    print(f"cpu={cpu:.2f}s wall={wall:.1f}s ({cpu / max(len(late), 1) * 1e6:.0f} us CPU per run, "
          f"{runner.bytes_out / 1e6:.1f} MB of sam3 JSON)")  # fmt: skip
    verdict = "PASS" if late.percentile(95) < 30 else "FAIL"
    print(f"{verdict}: lateness p95 < 30 s")


if __name__ == "__main__":
    main()
