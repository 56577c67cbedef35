#!/usr/bin/env python
"""Dashboard page times on a month of fleet data, printed as one table.

1. Fills a fresh embedded store (SQLite under a temporary VACMON_VAR_DIR, migrated) with
   30 days of messages from 200 factories x 4 machinetypes, at a 5-minute reporting cadence
   (real Vac factories report every 1-2 minutes; 5 minutes keeps loading to a few minutes and
   gives the same number of senders and the same rollup shape, but the newest hour, read
   from raw messages, holds fewer of them: `--days 2 --cadence 60` times that case). Messages
   are built from the
   spec samples with `factories.messages.normalise` and written with `get_store().write` in
   batches of 5000, as the listener does.
2. Builds the rollups (`vacmon.store.embedded.rollups.build(now)`).
3. Times every page type with the Django test client for each preset range (hour, day,
   week, month, year in turn), in the web process's setup (vacmon.wsgi, gc.freeze()
   included, and what loading left alive frozen too), after serving each range once
   untimed, with the standard library patched by gevent as in the service's web worker:
   "cold" with the dashboard cache cleared before each request (every store
   query runs), "steady" as the first viewer of a new minute sees it (settled parts of the
   range cached), and "warm" as a viewer refreshing within the minute sees it. Prints
   p50/p95 per page and mode.

With `--store elasticsearch` the same messages are then written to the cluster at
ELASTICSEARCH_URL (a fresh prefix, ELASTICSEARCH_LIFECYCLE=none unless set), its rollups are
built (`ElasticsearchStore.maintain(now)`, timed), the same pages are timed on it, and each
page type's p95 is printed beside the embedded one with the ratio (target: under 2x).

Usage: bench/dashboard.py [--days 30] [--factories 200] [--cadence 300] [--requests 50]
       [--reuse VAR_DIR] [--store elasticsearch [--reuse-prefix PREFIX]]

`--reuse VAR_DIR --store elasticsearch --reuse-prefix PREFIX` times both stores again, side by
side, on what an earlier run loaded (its output names the directory and the prefix).

`--live RATE` keeps a second process writing RATE status messages a second into the store
being timed (each factory's next report and its machinetypes', round robin, sent now), as
the listener does while the dashboard is read. On a store nobody writes to, Elasticsearch
answers a repeated aggregation from its shard request cache; on one being written to, each
refresh (every second) empties that cache for the index written to. 17 a second is 200
factories x 5 messages reporting every 60 s.
"""

from __future__ import annotations

# Pages are timed as the service's web worker serves them: gunicorn's gevent worker
# (`runservice`) patches the standard library before anything else is imported, so there
# the threads of reads made together (`Page.read`) are greenlets that switch only where
# they wait on the cluster. Unpatched, they are threads that take turns on the GIL.
# (So every import below follows the patch: ruff's E402 is off for this file.)
# ruff: noqa: E402
from gevent import monkey

monkey.patch_all()

import argparse
import contextlib
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_django

ROOT = Path(__file__).resolve().parent.parent

CADENCE = 300
MACHINETYPES = {"lhcb": 0.4, "atlas": 0.3, "cms": 0.2, "alice": 0.1}
OUTCOMES = (
    ["200 Success"] * 10
    + ["300 Nothing to do"] * 6
    + [
        "700 Heartbeat file not updated",
        "700 Failed, probably JobAgent or Application problem",
        "500 Certificate/proxy not acceptable",
        "100 No time left for slot",
    ]
)
MACHINE_EVERY = 4 * 3600
BATCH = 5000
RANGES = ("hour", "day", "week", "month", "year")


ES_URL = os.environ.get("ELASTICSEARCH_URL", "")


def names(n_factories: int) -> list[tuple[str, str, str]]:
    """(site, space, factory): 10 factories per space, 2 spaces per site."""
    out = []
    for i in range(n_factories):
        site, space = i // 20, (i // 10) % 2
        out.append(
            (
                f"BENCH-SITE-{site:02d}",
                f"vac{space}.site{site:02d}.bench",
                f"f{i % 10:02d}.vac{space}.site{site:02d}.bench",
            )
        )
    return out


def silent(i: int, t: int, start: int, now: int) -> bool:
    """Some factories miss a day (gaps) and two stop two hours before the end (stale)."""
    day = (t - start) // 86400
    if i % 37 == 0 and day in (10, 11):
        return True
    return i in (3, 77) and t > now - 7200


def running_fraction(i: int, t: int) -> float:
    return 0.6 + 0.3 * math.sin(2 * math.pi * (t / 86400 + i / 200))


def last_end(i: int, k: int, t: int) -> int:
    """When machine slot k of factory i last finished at or before t (staggered)."""
    offset = (i * 97 + k * 911) % MACHINE_EVERY
    return (t - offset) // MACHINE_EVERY * MACHINE_EVERY + offset


def cycle(i: int, where: tuple[str, str, str], t: int, samples: Any) -> Iterator[dict[str, Any]]:
    site, space, factory = where
    running = int(32 * running_fraction(i, t))
    envelope = {"site": site, "space": space, "factory": factory, "time_sent": t}
    yield dict(
        samples.factory,
        **envelope,
        running_processors=running,
        running_machines=running,
        running_hs06=running * 10.0,
        max_processors=32,
        max_machines=32,
        max_hs06=320.0,
        load_average=running * 0.9,
    )
    for k, (mt, share) in enumerate(MACHINETYPES.items()):
        mine = int(running * share)
        last = last_end(i, k, t)
        yield dict(
            samples.machinetype,
            **envelope,
            machinetype=mt,
            fqan=f"/{mt}/Role=NULL/Capability=NULL",
            num_machinetypes=len(MACHINETYPES),
            running_processors=mine,
            running_machines=mine,
            running_hs06=mine * 10.0,
            num_before_fizzle=mine // 5,
            shutdown_time=last,
            shutdown_machine=f"{factory.split('.')[0]}-{k:02d}.bench",
            shutdown_message=OUTCOMES[(last // MACHINE_EVERY + i) % len(OUTCOMES)],
        )


def finished_machine(
    i: int, k: int, where: tuple[str, str, str], end: int, samples: Any
) -> dict[str, Any]:
    site, space, factory = where
    mt = list(MACHINETYPES)[k]
    text = OUTCOMES[(end // MACHINE_EVERY + i) % len(OUTCOMES)]
    vac_push = (i + k) % 2 == 0  # half as Vac pushes them: no message (spec 1.8)
    return dict(
        samples.machine,
        site=site,
        space=space,
        factory=factory,
        machinetype=mt,
        fqan=f"/{mt}/Role=NULL/Capability=NULL",
        machine=f"{factory.split('.')[0]}-{k:02d}.bench",
        time_sent=end + 30,
        created_time=end - MACHINE_EVERY + 60,
        started_time=end - MACHINE_EVERY + 120,
        heartbeat_time=end - 20,
        shutdown_time=None if vac_push else end,
        shutdown_message=None if vac_push else text,
        state="Running" if vac_push else "Shut down",
        cpu_seconds=int((MACHINE_EVERY - 200) * (0.5 + 0.45 * ((i + k) % 10) / 10)),
        num_processors=1,
        hs06=10.0,
    )


def _samples() -> Any:
    """The spec samples the fleet's messages are made from, as attributes."""
    from tests import samples

    class Samples:
        factory = json.loads(samples.VAC_FACTORY)
        machinetype = json.loads(samples.VAC_MACHINETYPE)
        machine = json.loads(samples.VAC_MACHINE_FINISHED)

    return Samples


def load(days: int, n_factories: int, now: int, cadence: int = CADENCE) -> int:
    from factories.messages import normalise
    from vacmon.store import get_store

    Samples = _samples()
    store = get_store()
    where = names(n_factories)
    start = now - days * 86400
    batch: list[Any] = []
    written = 0
    for t in range(start, now, cadence):
        for i, w in enumerate(where):
            if silent(i, t, start, now):
                continue
            received = t + (i * 7) % cadence
            objs = list(cycle(i, w, t, Samples))
            for k in range(len(MACHINETYPES)):
                end = last_end(i, k, t)
                if end > t - cadence:
                    objs.append(finished_machine(i, k, w, end, Samples))
            batch.extend(normalise(o, received=received) for o in objs)
        if len(batch) >= BATCH:
            written += store.write(batch).inserted
            batch = []
    if batch:
        written += store.write(batch).inserted
    return written


def pages(now: int) -> dict[str, str]:
    from vacmon.store import Scope, get_store

    machine = get_store().history(
        "machine_status", since=now - 86400, until=now, scope=Scope(site="BENCH-SITE-01"), limit=1
    )[0]
    base = "/sites/BENCH-SITE-01/vac0.site01.bench"
    return {
        "overview": "/",
        "overview, VO filter": "/?vo=lhcb",
        "site": "/sites/BENCH-SITE-01/",
        "space": f"{base}/",
        "factory": f"{base}/f01.vac0.site01.bench/",
        "machinetype": f"{base}/machinetypes/atlas/",
        "machines (site)": "/machines/?site=BENCH-SITE-01",
        "machine": f"/sites/{machine.site}/{machine.space}/{machine.factory}/machines/"
        f"{machine.machine}/",
        "VO": "/vos/lhcb/",
        "VOs": "/vos/",
        "search": "/search/?q=vac1.site02",
    }


MODES = ("cold", "steady", "warm")


Row = tuple[str, str, dict[str, tuple[float, float]], dict[str, dict[str, float]]]

# Elasticsearch searches made by the request being timed: (ms each), filled by the wrapper
# `_count_searches` puts around the store's client; empty on the embedded store.
SEARCHES: list[float] = []
# page -> (searches per cold request, ms per search), printed after the Elasticsearch table.
PROFILE: dict[str, tuple[float, float]] = {}


def measure(requests: int) -> list[Row]:
    """Per page: (p50, p95) in ms per mode, and the slowest request per range and mode.
    cold: the dashboard cache is cleared before every request. steady: the per-minute cache
    is off but settled buckets stay cached, as for the first viewer of a page in a new
    minute. warm: everything cached."""
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    client = Client()
    now = int(time.time())
    out = []
    per_range = max(requests // len(RANGES), 1)
    # What loading left alive is frozen, as vacmon.wsgi freezes the web process's start-up
    # heap: otherwise every full collection during the second store's pages walks the
    # first store's leftovers (warm Elasticsearch pages, which read nothing from the
    # store, came out up to 2.9x the embedded ones).
    gc.collect()
    gc.freeze()
    for name, url in pages(now).items():
        sep = "&" if "?" in url else "?"
        ranges = [RANGES[k % len(RANGES)] for k in range(per_range * len(RANGES))]
        # Imports, templates and (on Elasticsearch) the node's JIT and caches are not what
        # is measured: every range is served once, cold, before the timed requests.
        for key in RANGES:
            cache.clear()
            client.get(f"{url}{sep}range={key}")
        times: dict[str, list[float]] = {mode: [] for mode in MODES}
        slowest: dict[str, dict[str, float]] = {key: dict.fromkeys(MODES, 0.0) for key in RANGES}
        cold_searches: list[float] = []
        for key in ranges:
            full = f"{url}{sep}range={key}"
            for mode in MODES:
                if mode == "cold":
                    cache.clear()
                settings.VACMON_DASHBOARD_CACHE_SECONDS = 0 if mode == "steady" else 60
                SEARCHES.clear()
                t0 = time.perf_counter()
                response = client.get(full)
                ms = (time.perf_counter() - t0) * 1000
                if mode == "cold":
                    cold_searches.extend(SEARCHES)
                times[mode].append(ms)
                slowest[key][mode] = max(slowest[key][mode], ms)
                assert response.status_code in (200, 302), (full, response.status_code)
        out.append((name, url, {mode: pct(v) for mode, v in times.items()}, slowest))
        if cold_searches:
            per_search = statistics.fmean(cold_searches)
            PROFILE[name] = (len(cold_searches) / len(ranges), per_search)
    return out


def pct(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=20, method="inclusive")
    return statistics.median(values), q[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--factories", type=int, default=200)
    parser.add_argument(
        "--cadence", type=int, default=CADENCE, help="seconds between a sender's reports"
    )
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--reuse", metavar="VAR_DIR", help="time pages on a store loaded before")
    parser.add_argument("--store", choices=["embedded", "elasticsearch"], default="embedded")
    parser.add_argument(
        "--reuse-prefix", metavar="PREFIX", help="with --reuse: the cluster's indices loaded before"
    )
    parser.add_argument(
        "--live",
        type=float,
        default=0.0,
        metavar="RATE",
        help="messages a second written meanwhile",
    )
    parser.add_argument("--trickle", metavar="PREFIX", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trickle is not None:
        _trickle(args)
        return
    if args.reuse_prefix and not (args.reuse and args.store == "elasticsearch"):
        parser.error("--reuse-prefix needs --reuse and --store elasticsearch")
    if args.store == "elasticsearch" and not ES_URL:
        parser.error("--store elasticsearch needs ELASTICSEARCH_URL (scripts/elasticsearch.sh)")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    var_dir = args.reuse or tempfile.mkdtemp(prefix="vacmon-bench-dashboard-")
    setup_django(var_dir, allow_insecure=True)
    _use_routes()
    import vacmon.wsgi  # noqa: F401  (the web server's process setup, gc.freeze() included)

    if args.reuse:
        print(f"store: reusing {var_dir} (its data now ends {_age(var_dir)} ago)")
        with _live(args, var_dir, ""):
            embedded = measure(args.requests)
        _report(embedded, args.requests)
        if args.reuse_prefix:
            _beside(embedded, _on_elasticsearch(args, int(time.time()), var_dir), args.requests)
        return
    now = int(time.time())
    print(f"store: SQLite under {var_dir}; {args.factories} factories x 4 machinetypes, "
          f"{args.days} days, a report every {args.cadence} s")  # fmt: skip
    t0 = time.perf_counter()
    written = load(args.days, args.factories, now, args.cadence)
    t1 = time.perf_counter()
    print(f"loaded {written:,} messages in {t1 - t0:.0f} s ({written / (t1 - t0):,.0f} msg/s); "
          f"load average {_load()}")  # fmt: skip
    from vacmon.store.embedded import rollups

    rollups.build(int(time.time()))
    print(f"rollups built in {time.perf_counter() - t1:.0f} s; load average {_load()}")
    with _live(args, var_dir, ""):
        embedded = measure(args.requests)
    _report(embedded, args.requests)
    if args.store == "elasticsearch":
        _beside(embedded, _on_elasticsearch(args, now, var_dir), args.requests)


def _on_elasticsearch(args: argparse.Namespace, now: int, var_dir: str) -> list[Row]:
    """Write the same messages (the loader is deterministic in `now`) to the cluster and
    time the same pages on it."""
    import uuid

    from django.conf import settings

    from vacmon.store import get_store, reset_store

    _use_cluster(args.reuse_prefix or f"vacmon-bench-{uuid.uuid4().hex[:8]}-")
    reset_store()
    if args.reuse_prefix:
        store: Any = get_store()
        _count_searches(store.client)
        print(f"\nElasticsearch at {ES_URL}: reusing prefix {args.reuse_prefix}")
        store.maintain(int(time.time()))
        with _live(args, var_dir, args.reuse_prefix):
            rows = measure(args.requests)
        _report(rows, args.requests)
        return rows
    t0 = time.perf_counter()
    written = load(args.days, args.factories, now, args.cadence)
    store = get_store()
    store.client.indices.refresh(index=f"{settings.ELASTICSEARCH_PREFIX}*")
    _count_searches(store.client)
    elapsed = time.perf_counter() - t0
    print(f"\nElasticsearch at {ES_URL}, prefix {settings.ELASTICSEARCH_PREFIX}: loaded "
          f"{written:,} messages in {elapsed:.0f} s ({written / elapsed:,.0f} msg/s); "
          f"load average {_load()}")  # fmt: skip
    t1 = time.perf_counter()
    store.maintain(int(time.time()))
    print(f"rollups built in {time.perf_counter() - t1:.0f} s; load average {_load()}")
    _settle(store.client, settings.ELASTICSEARCH_PREFIX)
    with _live(args, var_dir, settings.ELASTICSEARCH_PREFIX):
        rows = measure(args.requests)
    _report(rows, args.requests)
    return rows


def _use_cluster(prefix: str) -> None:
    """Point the store at the cluster's indices under `prefix`."""
    from django.conf import settings

    settings.ELASTICSEARCH_URL = ES_URL
    settings.ELASTICSEARCH_PREFIX = prefix
    settings.ELASTICSEARCH_LIFECYCLE = os.environ.get("ELASTICSEARCH_LIFECYCLE", "none")


@contextlib.contextmanager
def _live(args: argparse.Namespace, var_dir: str, prefix: str) -> Iterator[None]:
    """A writer process beside the timed pages (`--live`), on the embedded store under
    `var_dir` or the cluster's indices under `prefix`."""
    if args.live <= 0:
        yield
        return
    command = [sys.executable, __file__, "--reuse", var_dir, "--trickle", prefix]
    command += ["--live", str(args.live), "--factories", str(args.factories)]
    env = dict(os.environ, ELASTICSEARCH_URL=ES_URL if prefix else "")
    writer = subprocess.Popen(command, env=env)
    try:
        time.sleep(3.0)  # past its start-up, so its first writes are under way
        if writer.poll() is not None:
            raise SystemExit(f"the live writer ended at once (exit status {writer.returncode})")
        print(f"live writer: {args.live:g} messages a second into the store being timed")
        yield
    finally:
        writer.terminate()
        writer.wait(30)


def _trickle(args: argparse.Namespace) -> None:
    """The `--live` writer: each factory's next report and its machinetypes', round robin,
    at `args.live` messages a second, until the parent ends it."""
    setup_django(args.reuse, allow_insecure=True)

    from factories.messages import normalise
    from vacmon.store import get_store

    if args.trickle:
        _use_cluster(args.trickle)
    Samples = _samples()
    store = get_store()
    where = names(args.factories)
    per_report = 1 + len(MACHINETYPES)
    reports_per_second = args.live / per_report
    sent = 0
    t0 = time.monotonic()
    while True:
        due = int((time.monotonic() - t0) * reports_per_second) + 1
        now = int(time.time())
        batch = []
        while sent < due:
            i = sent % len(where)
            batch += [normalise(o, received=now) for o in cycle(i, where[i], now, Samples)]
            sent += 1
        if batch:
            store.write(batch)
        time.sleep(max(0.0, t0 + sent / reports_per_second - time.monotonic()))


def _settle(client: Any, prefix: str, limit: float = 300.0) -> None:
    """Wait until the cluster has merged what the load wrote: its background merges of
    ~700 MB share the two cores with the pages being timed, which a cluster receiving
    status at the real rate never does."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        stats = client.indices.stats(index=f"{prefix}*", metric="merge", expand_wildcards="all")
        if stats.body["_all"]["total"]["merges"]["current"] == 0:
            break
        time.sleep(1.0)
    print(f"merges settled after {time.perf_counter() - t0:.0f} s; load average {_load()}")


def _count_searches(client: Any) -> None:
    """Time each search the client makes into SEARCHES (a _msearch counts once: it is one
    round trip)."""
    for method in ("search", "msearch"):
        real = getattr(client, method)

        def timed(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _real(*args, **kwargs)
            finally:
                SEARCHES.append((time.perf_counter() - t0) * 1000)

        setattr(client, method, timed)


def _profile() -> None:
    print(f"\nElasticsearch round trips per cold request; load average {_load()}")
    print(f"{'page':<20} {'searches':>9} {'ms each':>8}")
    for name, (count, ms) in PROFILE.items():
        print(f"{name:<20} {count:>9.1f} {ms:>8.1f}")


def _beside(embedded: list[Row], elasticsearch: list[Row], requests: int) -> None:
    print(f"\np95 per page type, embedded vs Elasticsearch, {requests} requests each; ms")
    print(f"{'page':<20}" + "".join(f" {m + ' emb':>10} {m + ' ES':>10} {'x':>5}" for m in MODES))
    worst = 0.0
    for (name, _, emb, _), (_, _, es, _) in zip(embedded, elasticsearch, strict=True):
        cells = ""
        for m in MODES:
            ratio = es[m][1] / emb[m][1] if emb[m][1] else float("inf")
            worst = max(worst, ratio)
            cells += f" {emb[m][1]:>10.1f} {es[m][1]:>10.1f} {ratio:>5.1f}"
        print(f"{name:<20}{cells}")
    print(f"worst p95 ratio Elasticsearch/embedded: {worst:.1f}x (target < 2x); "
          f"load average {_load()}")  # fmt: skip
    _profile()


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _age(var_dir: str) -> str:
    from vacmon.store import get_store

    newest = max((f.last_seen for f in get_store().factories(since=0)), default=0)
    return f"{(int(time.time()) - newest) // 60} min"


def _report(rows: list[Row], requests: int) -> None:
    print(f"\n{requests} requests per page and mode (ranges {', '.join(RANGES)} in turn); ms; "
          f"load average {_load()}")  # fmt: skip
    head = "".join(f" {m + ' p50':>11} {m + ' p95':>11}" for m in MODES)
    print(f"{'page':<20}{head}  url")
    for name, url, by_mode, _ in rows:
        cells = "".join(f" {by_mode[m][0]:>11.1f} {by_mode[m][1]:>11.1f}" for m in MODES)
        print(f"{name:<20}{cells}  {url}")
    print("\nslowest single request per range, cold/steady/warm; ms")
    print(f"{'page':<20}" + "".join(f" {key:>17}" for key in RANGES))
    for name, _, _, slowest in rows:
        cells = "".join(
            f" {'/'.join(f'{slowest[key][m]:.0f}' for m in MODES):>17}" for key in RANGES
        )
        print(f"{name:<20}{cells}")
    for mode in MODES:
        print(f"worst {mode} p95: {max(r[2][mode][1] for r in rows):.0f} ms (target < 100 ms)")


def _use_routes() -> None:
    """The real site routes; if another package's routes cannot be imported in this tree,
    the dashboard alone (as mounted at the root) so the figures can still be taken."""
    from django.conf import settings

    try:
        import vacmon.urls  # noqa: F401
    except ImportError as exc:
        print(f"note: vacmon.urls does not import ({exc}); timing the dashboard routes alone")
        settings.ROOT_URLCONF = "tests.dashboard.urls"


if __name__ == "__main__":
    main()
