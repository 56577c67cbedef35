#!/usr/bin/env python
"""Requests per second and p95 latency for a cached CRR document, against a real server.

gunicorn (gthread workers, keep-alive) serves VacMon from a fresh SQLite database under a
temporary VACMON_VAR_DIR, after a few spaces were written to the store and published with
`publish_crr`. This process then requests `/crr/<site>/<space>/crr.json` for DURATION
seconds: with `wrk` if it is installed (its Lua hook prints the p95), otherwise with
threads that each hold one keep-alive http.client connection.

Usage: bench/crr.py [--duration S] [--connections N] [--workers W] [--threads T]
Target: >= 1,000 req/s and p95 < 20 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
SITE, SPACE = "BENCH-SITE-0", "vac0.bench0.example.org"
PATH = f"/crr/{SITE}/{SPACE}/crr.json"

SEED = """
import time, django
django.setup()
from tests.builders import factory_status, machinetype_status
from vacmon.store import get_store
now = int(time.time())
messages = []
for s in range(3):
    for p in range(3):
        site, space = f"BENCH-SITE-{s}", f"vac{p}.bench{s}.example.org"
        for f in range(20):
            common = dict(site=site, space=space, factory=f"f{f}.{space}")
            messages.append(factory_status(received=now - f, max_processors=32, **common))
            for mt in ("lhcb", "atlas", "cms"):
                messages.append(machinetype_status(received=now - f, machinetype=mt,
                    max_wallclock_seconds=172800, bytes_per_processor=2147483648, **common))
get_store().write(messages)
"""

WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %f %f\\n", summary.requests, summary.duration / 1e6,
                         latency:percentile(95) / 1000))
end
"""


def free_port() -> int:
    # gunicorn cannot bind port 0: take one the kernel hands out, then give it back.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(env: dict[str, str]) -> None:
    run = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([str(PYTHON), "manage.py", "migrate", "--noinput"], **run)  # type: ignore[call-overload]
    subprocess.run([str(PYTHON), "-c", SEED], **run)  # type: ignore[call-overload]
    subprocess.run([str(PYTHON), "manage.py", "publish_crr"], **run)  # type: ignore[call-overload]


def wait_until_up(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited before it answered")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", PATH)
            status = conn.getresponse().status
            conn.close()
            if status != 200:
                raise SystemExit(f"{PATH} answered {status}: nothing was published")
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in time")


def load_with_wrk(wrk: str, port: int, seconds: int, connections: int) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    cmd = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script.name]
    out = subprocess.run(
        [*cmd, f"http://127.0.0.1:{port}{PATH}"], capture_output=True, text=True, check=True
    ).stdout
    os.unlink(script.name)
    _, requests, duration, p95 = next(
        ln for ln in out.splitlines() if ln.startswith("RESULT")
    ).split()
    return int(requests) / float(duration), float(p95)


def load_with_threads(port: int, seconds: float, connections: int) -> tuple[float, float]:
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors: list[int] = [0] * connections
    stop = time.perf_counter() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = latencies[i]
        while (start := time.perf_counter()) < stop:
            conn.request("GET", PATH)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            if response.status != 200:
                errors[i] += 1
        conn.close()

    begun = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - begun
    if any(errors):
        raise SystemExit(f"{sum(errors)} responses were not 200")
    everything = [x for per in latencies for x in per]
    p95 = statistics.quantiles(everything, n=100)[94] * 1000
    return len(everything) / elapsed, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vacmon-bench-crr-") as var_dir:
        env = {
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ELASTICSEARCH_URL")
        }
        env.update(
            VACMON_VAR_DIR=var_dir,
            DJANGO_DEBUG="false",
            # A throwaway instance on loopback: the development key is fine here.
            VACMON_ALLOW_INSECURE="true",
            DJANGO_SETTINGS_MODULE="vacmon.settings",
            PYTHONPATH=str(ROOT),
        )
        prepare(env)
        port = free_port()
        server = subprocess.Popen(
            [str(GUNICORN), "vacmon.wsgi", "--bind", f"127.0.0.1:{port}",
             "--worker-class", "gthread", "--workers", str(args.workers),
             "--threads", str(args.threads), "--keep-alive", "30", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            wait_until_up(port, server)
            wrk = None if args.python_client else shutil.which("wrk")
            if wrk:
                rate, p95 = load_with_wrk(wrk, port, args.duration, args.connections)
            else:
                rate, p95 = load_with_threads(port, args.duration, args.connections)
        finally:
            server.terminate()
            server.wait(timeout=30)
    client = "wrk" if wrk else "python threads"
    print(f"client: {client}, {args.connections} connections, {args.duration} s, {PATH}")
    print(f"requests per second: {rate:,.0f}  (target >= 1,000)")
    print(f"p95 latency: {p95:.2f} ms  (target < 20 ms)")


if __name__ == "__main__":
    main()
