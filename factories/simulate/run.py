"""`python -m factories simulate`: play a Fleet in (scaled) real time to real targets."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from factories.simulate.fleet import Fleet
from factories.transport import SendResult, Transport

TICK = 0.5  # seconds of wall time between two model advances


class Throttle:
    """At most `rate` messages per second on average (None: no limit)."""

    def __init__(
        self,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.clock = clock
        self.sleep = sleep
        self.started = clock()
        self.sent = 0

    def wait_for(self, count: int) -> None:
        if self.rate:
            due = self.started + (self.sent + count) / self.rate
            delay = due - self.clock()
            if delay > 0:
                self.sleep(delay)
        self.sent += count


def progress_line(now: int, sent: int, elapsed: float, fleet: Fleet, result: SendResult) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now))
    rate = sent / elapsed if elapsed > 0 else 0.0
    machines = sum(len(f.machines) for f in fleet.factories)
    up = len(fleet.factories) - len(fleet.stale_factories())
    return (
        f"\r{stamp}Z sent {sent} ({rate:.0f}/s) factories {up}/{len(fleet.factories)} up"
        f" machines {machines} errors {len(result.errors)} spooled {result.spooled}  "
    )


def play(
    fleet: Fleet,
    transports: Sequence[Transport],
    *,
    duration: float | None,
    speed: float = 1.0,
    rate: float | None = None,
    out: TextIO | None = None,
    batch: int = 200,
) -> SendResult:
    """Advance the fleet with the wall clock (times `speed`) and send what it says."""
    out = out if out is not None else sys.stderr
    throttle = Throttle(rate)
    wall0, sim0 = time.monotonic(), fleet.clock
    total, sent = SendResult(), 0
    messages = fleet.report_now()
    while True:
        for i in range(0, len(messages), batch):
            chunk = messages[i : i + batch]
            throttle.wait_for(len(chunk))
            for transport in transports:
                total.add(transport.send(chunk))
            sent += len(chunk)
        out.write(progress_line(fleet.clock, sent, time.monotonic() - wall0, fleet, total))
        out.flush()
        if duration is not None and time.monotonic() - wall0 >= duration:
            break
        time.sleep(TICK)
        messages = fleet.advance(sim0 + int((time.monotonic() - wall0) * speed))
    out.write("\n")
    return total


def cmd_simulate(
    args: argparse.Namespace, open_targets: Callable[[argparse.Namespace], list[Transport]]
) -> int:
    now = args.start if args.start is not None else int(time.time())
    start = now - args.backfill
    fleet = Fleet(
        seed=args.seed,
        sites=args.sites,
        factories=args.factories,
        machinetypes=args.machinetypes,
        start=start,
        cycle_seconds=args.cycle,
        stale_within=int(args.duration * args.speed) if args.duration else 3 * 86400,
    )
    # Begin with a fleet already in full swing: play the past without sending it.
    fleet.advance(now)
    transports = open_targets(args)
    try:
        play(fleet, transports, duration=args.duration, speed=args.speed, rate=args.rate)
    finally:
        for transport in transports:
            transport.close()
    return 0


def add_simulate_parser(
    commands: Any,
    add_target_options: Callable[[argparse.ArgumentParser], None],
    open_targets: Callable[[argparse.Namespace], list[Transport]],
) -> None:
    sim = commands.add_parser("simulate", help="emulate a fleet of factories over time")
    sim.add_argument("--sites", type=int, default=3)
    sim.add_argument("--factories", type=int, default=3, help="factories per site")
    sim.add_argument("--machinetypes", type=int, default=3, help="machinetypes per space")
    sim.add_argument("--rate", type=float, help="at most this many messages per second")
    sim.add_argument("--duration", type=float, help="stop after this many wall seconds")
    sim.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    sim.add_argument("--cycle", type=int, default=60, help="factory cycle in seconds")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--start", type=int, help="simulated start epoch (default: now)")
    sim.add_argument(
        "--backfill",
        type=int,
        default=0,
        help="start the model this many seconds in the past, unsent",
    )
    add_target_options(sim)
    sim.set_defaults(func=lambda args: cmd_simulate(args, open_targets))
