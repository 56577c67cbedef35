#!/usr/bin/env python
"""Built-in probe scheduling on this machine: lateness p50/p95 and CPU seconds.

Schedules N built-in probe targets (default 10,000) every INTERVAL seconds (default 300)
with the pure scheduler, runs each due probe in-process on a small thread pool over
synthetic factory states, builds its canonical record and renders the MONIT sam3 JSON, for
ROUNDS full intervals (default 2). Time runs SPEEDUP times faster than the wall clock
(default 10, so two 5-minute rounds take 60 s); lateness is reported in simulated seconds,
which is the harsher reading: a real delay of d counts as d * SPEEDUP.

With --django it runs the real task functions instead: a temporary VACMON_VAR_DIR with a
SQLite database gets factories written through the store until the seeded built-in
definitions have about N targets; then, in real time for DURATION seconds, the beat tick
(dispatch) hands out due runs every minute and W worker threads run each at its ETA with
the runner, which reads the store and stores a ProbeResult with its lateness. Lateness p95
comes from the stored rows, as the status page computes it.

Usage: bench/probes.py [--targets N] [--interval S] [--rounds R] [--speedup X] [--workers W]
       bench/probes.py --django [--targets N] [--interval S] [--duration D] [--workers W]
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

from bench.common import setup_django
from probes.builtin import BUILTIN_PROBES
from probes.inputs import (
    CapacitySample,
    DaemonVersionInput,
    FactoryState,
    FinishedMachine,
    MachinetypeOutcomes,
    SpaceState,
)
from probes.model import ProbeRecord, Target, render_sam3_json
from probes.scheduler import Lateness, ScheduledTarget, Scheduler

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
    parser.add_argument("--django", action="store_true", help="run the real task functions")
    parser.add_argument("--duration", type=float, default=120.0, help="--django: seconds")
    args = parser.parse_args()
    if args.django:
        django_main(args)
        return

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


def seed_store(targets: int, interval: float, now: int) -> int:
    """Spaces of 4 factories: 3 space probes + 4 x 2 factory probes = 11 targets each."""
    from factories.messages import normalise
    from vacmon.models import ProbeDefinition
    from vacmon.store import get_store

    ProbeDefinition.objects.filter(enabled=True).update(interval=int(interval))
    rng = random.Random(7)
    messages = []
    for s in range(round(targets / 11)):
        space, site = f"space-{s}.example.ac.uk", f"SITE-{s % 300}"
        for f in range(4):
            sent = now - rng.randrange(5, 400)
            body = {
                "message_type": "factory_status", "site": site, "space": space,
                "factory": f"f{f}.{space}", "time_sent": sent, "factory_heartbeat_time": sent,
                "daemon_version": "Vac 03.00.01 vacd-factory", "max_processors": 32,
                "running_processors": 20, "load_average": 8.0, "root_disk_avail_kb": 9 << 20,
                "root_disk_avail_inodes": 10**6, "swap_used_kb": 0, "swap_free_kb": 1 << 20,
            }  # fmt: skip
            messages.append(normalise(body, received=sent))
            outcome = {
                **{k: body[k] for k in ("site", "space", "factory", "time_sent")},
                "message_type": "machinetype_status", "machinetype": "lhcb",
                "fqan": "/lhcb/Role=NULL/Capability=NULL", "running_processors": 20,
                "shutdown_machine": f"vm{f}-01.{space}", "shutdown_time": sent - 600,
                "shutdown_message": rng.choice(SHUTDOWNS[:-1]),
            }  # fmt: skip
            messages.append(normalise(outcome, received=sent))
    get_store().write(messages)
    return len(messages)


def django_main(args: argparse.Namespace) -> None:
    import heapq
    import tempfile

    with tempfile.TemporaryDirectory(prefix="vacmon-bench-") as var_dir:
        setup_django(var_dir)
        from django.db import connection

        from vacmon.probes import dispatch, runner, stats

        factories = seed_store(args.targets, args.interval, int(time.time()))
        heap: list[tuple[float, str, Any]] = []
        lock = threading.Lock()

        def hold(ref: Any, due_at: float) -> None:
            with lock:
                heapq.heappush(heap, (due_at, ref.key, ref))

        def work(ref: Any, due_at: float) -> None:
            try:
                runner.run_target(ref, due_at)
            finally:
                connection.close()  # each worker thread has its own connection

        start, cpu_start = time.time(), cpu_seconds()
        next_tick, targets, futures = start, 0, []
        with ThreadPoolExecutor(args.workers) as pool:
            while (now := time.time()) < start + args.duration:
                if now >= next_tick:
                    plan = dispatch.dispatch(now, hold)
                    targets = max(targets, len({ref.key for ref, _ in plan.runs}))
                    next_tick += dispatch.TICK
                while heap and heap[0][0] <= now:
                    due_at, _, ref = heapq.heappop(heap)
                    futures.append(pool.submit(work, ref, due_at))
                time.sleep(0.01)
        for future in futures:
            future.result()
        cpu, wall = cpu_seconds() - cpu_start, time.time() - start
        found = stats.runner_stats(start, time.time())
        print(f"django mode: {factories} status messages, interval={args.interval:g}s "
              f"duration={args.duration:g}s workers={args.workers} SQLite={var_dir}")  # fmt: skip
        print(f"runs={found.runs} handed out={len(futures)} (left in ETA heap: {len(heap)})")
        print(f"lateness p50={found.lateness_p50:.3f}s p95={found.lateness_p95:.3f}s "
              f"max={found.lateness_max:.3f}s (real seconds)")  # fmt: skip
        print(f"concurrency max={found.max_concurrency} mean={found.mean_concurrency}")
        print(f"cpu={cpu:.2f}s wall={wall:.1f}s ({cpu / max(found.runs, 1) * 1e3:.2f} ms CPU "
              f"per run, incl. beat ticks)")  # fmt: skip
        verdict = "PASS" if found.lateness_p95 < 30 else "FAIL"
        print(f"{verdict}: lateness p95 < 30 s")


if __name__ == "__main__":
    main()
