"""Feed random and mutated datagrams through the UDP listener's core and count crashes.

    .venv/bin/python -m tests.fuzz.datagrams --count 1000000 [--seed 1] [--store [--pages-every N]]

Every datagram goes through `vacmon.ingest.pipeline.Parser.parse`, the function the writer
thread calls for each received datagram, with a UDP trust policy holding a signed, a
networks and an open site. Anything other than an Outcome (an accepted, duplicate or
rejected message) is a crash: one is enough to stop a listener's writer thread.

With --store, accepted messages are also written to a database in batches (a new SQLite
file unless DATABASE_URL is set) and every N datagrams every page and API endpoint is read
for the names just stored, after hostile rows that bypass the parser (tests/fuzz/stages.py).
Exit status 1 when there was any crash, stall, missing canary or page answering 5xx.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import logging
import os
import random
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from factories.signing import sign
from tests import samples
from tests.fuzz.stages import StoreAndPages, print_stage_report, use_private_database

KEY = bytes.fromhex("5eed" * 8)
WRONG_KEY = bytes.fromhex("bad0" * 8)
SIGNED_SITE = "UKI-NORTHGRID-MAN-HEP"
NETWORK_SITE = "CERN-PROD"
SOURCES = ("192.0.2.10", "192.0.2.200", "203.0.113.5", "2001:db8::1", "::ffff:192.0.2.9")
# Values that have broken JSON receivers before: wrong types, limits, NUL, huge numbers.
TRICKY: tuple[Any, ...] = (
    None,
    "",
    " ",
    "0",
    -1,
    0,
    1.5,
    2.0,
    2**63,
    -(2**63) - 1,
    2**64,
    1e308,
    -1e-308,
    True,
    False,
    [],
    {},
    [1, 2],
    {"a": None},
    "x" * 1025,
    "é" * 300,
    "\u0000",
    "\ud800",
    "<script>alert(1)</script>",
    "/",
    "//",
    "/atlas",
    "lhcb/Role=NULL",
    1543000000,
)
SAMPLE_OBJECTS = [json.loads(s) for s in samples.ALL]
ALL_KEYS = sorted({k for obj in SAMPLE_OBJECTS for k in obj} | {"hmac_sha256", "key_id"})


@dataclass
class FuzzReport:
    count: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    crashes: list[tuple[str, bytes]] = field(default_factory=list)
    crash_total: int = 0


def random_bytes(rng: random.Random) -> bytes:
    size = rng.choice((0, 1, 2, 16, 100, 1000, 4000))
    if rng.random() < 0.01:
        size = 65508  # one byte over the largest UDP payload
    return rng.randbytes(size)


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(data) + 1)
        op = rng.randrange(5)
        if op == 0 and data:
            i = min(at, len(data) - 1)
            data = data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]
        elif op == 1:
            data = data[:at] + data[at + rng.randint(1, 50) :]
        elif op == 2:
            data = data[:at] + rng.randbytes(rng.randint(1, 8)) + data[at:]
        elif op == 3:
            data = data[:at]
        else:
            data = data[:at] + data[at : at + 40] * rng.randint(2, 5) + data[at:]
    return data


def mutate_object(rng: random.Random, obj: dict[str, Any]) -> dict[str, Any]:
    obj = dict(obj)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(4)
        if op == 0 and obj:
            obj[rng.choice(list(obj))] = rng.choice(TRICKY)
        elif op == 1 and obj:
            del obj[rng.choice(list(obj))]
        elif op == 2:
            obj[rng.choice(ALL_KEYS)] = rng.choice((*TRICKY, rng.choice(SAMPLE_OBJECTS)["space"]))
        else:
            obj["message_type"] = rng.choice(
                ("factory_status", "machinetype_status", "machine_status", "vm_status", None, 7)
            )
    return obj


def encode(rng: random.Random, obj: dict[str, Any]) -> bytes:
    if rng.random() < 0.3:
        # A lone surrogate cannot be put into canonical ASCII JSON: sent unsigned then.
        with contextlib.suppress(TypeError, ValueError):
            obj = sign(obj, KEY if rng.random() < 0.7 else WRONG_KEY, key_id=None)
    text = json.dumps(obj, ensure_ascii=rng.random() < 0.5)
    return text.encode("utf-8", "surrogatepass")


def next_datagram(rng: random.Random, now: float) -> bytes:
    kind = rng.random()
    if kind < 0.2:
        return random_bytes(rng)
    base = dict(rng.choice(SAMPLE_OBJECTS))
    # Mostly inside the replay window, some outside; varied so that not all are duplicates.
    base["time_sent"] = int(now) - rng.choice((0, 1, 60, 300, 700, 86400)) - rng.randrange(300)
    if kind < 0.45:
        return mutate_bytes(rng, encode(rng, base))
    if kind < 0.9:
        return encode(rng, mutate_object(rng, base))
    return encode(rng, base)


def make_policy() -> Any:
    from vacmon.trust.udp import NETWORKS, SIGNED, SitePolicy, UdpPolicy

    network = ipaddress.ip_network("192.0.2.0/24")
    return UdpPolicy(
        {
            SIGNED_SITE: SitePolicy(SIGNED, (), {"": KEY}),
            NETWORK_SITE: SitePolicy(NETWORKS, (network,), {"": KEY}),
        }
    )


def make_parser() -> Any:
    import django
    from django.apps import apps

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vacmon.settings")
    if not apps.ready:  # a second setup would configure logging again, undoing levels set since
        django.setup()
    from vacmon.ingest.counters import Counters
    from vacmon.ingest.pipeline import Parser
    from vacmon.trust.gate import IngestGate

    policy = make_policy()
    policy.loaded_at = float("inf")  # the fuzz policy is fixed: never reload it
    return Parser(Counters(), "udp", gate=IngestGate(policy, None))


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    """Rejections and 404s are counted here by the thousand; their logs would only add noise.
    The levels are put back afterwards, for a caller (a test) that reads those logs."""
    levels = {"vacmon.ingest": logging.ERROR, "django.request": logging.CRITICAL}
    saved = {name: logging.getLogger(name).level for name in levels}
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def classify(outcome: Any) -> str:
    if outcome.rejection is not None:
        return f"rejected:{outcome.rejection.reason}"
    if outcome.duplicate:
        return "duplicate"
    return "accepted:trusted" if outcome.message.trusted else "accepted:untrusted"


def run(
    count: int,
    seed: int = 1,
    keep: int = 5,
    progress: Callable[[int], None] | None = None,
    stages: StoreAndPages | None = None,
) -> FuzzReport:
    with quiet_logs():
        return _run(count, seed, keep, progress, stages)


def _run(
    count: int,
    seed: int,
    keep: int,
    progress: Callable[[int], None] | None,
    stages: StoreAndPages | None,
) -> FuzzReport:
    rng = random.Random(seed)
    parser = make_parser()
    report = FuzzReport(count=count)
    started = time.monotonic()
    now = time.time()
    for n in range(count):
        data = next_datagram(rng, now)
        try:
            outcome = parser.parse(data, rng.choice(SOURCES), now)
            report.outcomes[classify(outcome)] += 1
            if stages is not None:
                if outcome.message is not None and not outcome.duplicate:
                    stages.accepted(outcome.message)
                stages.tick(n)
        except Exception:
            report.crash_total += 1
            report.outcomes["CRASH:" + traceback.format_exc().strip().splitlines()[-1][:120]] += 1
            if len(report.crashes) < keep:
                report.crashes.append((traceback.format_exc(), data[:300]))
        if progress is not None and n and n % 100_000 == 0:
            progress(n)
    if stages is not None:
        stages.round()
    report.seconds = time.monotonic() - started
    return report


def print_report(report: FuzzReport) -> None:
    rate = report.count / report.seconds if report.seconds else 0.0
    print(f"{report.count} datagrams in {report.seconds:.1f} s ({rate:,.0f}/s)")
    for name, n in sorted(report.outcomes.items()):
        print(f"  {n:10d}  {name}")
    print(f"crashes: {report.crash_total}")
    for trace, data in report.crashes:
        print("-" * 72)
        print(trace)
        print("datagram:", data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=5, help="crash examples to print")
    parser.add_argument("--store", action="store_true", help="write to a database, read pages")
    parser.add_argument("--pages-every", type=int, default=20_000, metavar="N")
    args = parser.parse_args(argv)
    stages = None
    if args.store:
        print(f"database: {use_private_database()}", flush=True)
        make_parser()  # sets Django up against that database
        stages = StoreAndPages(args.pages_every)
    progress = lambda n: print(f"... {n}", flush=True)  # noqa: E731
    report = run(args.count, args.seed, args.show, progress, stages)
    print_report(report)
    if stages is None:
        return 1 if report.crash_total else 0
    print_stage_report(stages.report)
    return 1 if report.crash_total or stages.failed else 0


if __name__ == "__main__":
    sys.exit(main())
