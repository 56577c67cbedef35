"""Start the whole service on one machine: web (gunicorn), the UDP listener, and the Celery
worker and beat. Ctrl-C or SIGTERM stops every part cleanly (the listener flushes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from vacmon.ops.insecure import check_startup
from vacmon.ops.supervise import stop_children

# Each web worker serves every connection in its own greenlet (gunicorn's gevent worker): a
# client that sends its request slowly holds a greenlet and a socket, never one of a fixed
# number of threads, so a few slow clients cannot keep everyone else waiting, as they did
# with sync workers (and still can with gthread, whose threads block reading headers).
WEB_CONNECTIONS = 1000  # connections one worker holds at once
WEB_TIMEOUT = 30
KEEPALIVE = 5


def slow_client_guard(connections: int) -> list[str]:
    return [
        "--worker-class",
        "gevent",
        "--worker-connections",
        str(connections),
        "--timeout",
        str(WEB_TIMEOUT),
        "--keep-alive",
        str(KEEPALIVE),
        # Bounded request lines and headers: a trickled header block cannot grow forever.
        "--limit-request-line",
        "8190",
        "--limit-request-fields",
        "100",
    ]


def web_command(bindir: str, bind: str, workers: int, connections: int) -> list[str]:
    return [
        os.path.join(bindir, "gunicorn"),
        "vacmon.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        *slow_client_guard(connections),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
    ]


class Command(BaseCommand):
    help = "Run web, UDP listener, Celery worker and beat together (the embedded default)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--http", default=os.environ.get("VACMON_HTTP_BIND", "0.0.0.0:8000"))
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--web-connections", type=int, default=WEB_CONNECTIONS)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            check_startup()
        except ImproperlyConfigured as refused:
            raise CommandError(str(refused)) from None
        python = sys.executable
        bindir = os.path.dirname(python)
        parts = {
            "web": web_command(
                bindir, options["http"], options["web_workers"], options["web_connections"]
            ),
            "udp": [python, "manage.py", "listen_udp"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "vacmon",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "vacmon",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        }
        # Own sessions: a terminal Ctrl-C reaches only this supervisor, which then stops each
        # part in order (the UDP listener must flush before the process exits).
        children = {
            name: subprocess.Popen(cmd, start_new_session=True) for name, cmd in parts.items()
        }
        host, _, port = options["http"].rpartition(":")
        shown = "localhost" if host in ("0.0.0.0", "", "::") else host
        self.stdout.write(
            f"VacMon is starting:\n"
            f"  dashboard   http://{shown}:{port}/\n"
            f"  API         http://{shown}:{port}/api/v1/sites/\n"
            f"  OpenAPI     http://{shown}:{port}/api/schema/\n"
            f"  UDP ingest  udp://{shown}:{settings.VACMON_UDP_PORT}\n"
            "Press Ctrl-C to stop."
        )
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(f"{name} exited with {child.returncode}; stopping")
                    stopping = True
            time.sleep(0.5)
        self._stop_all(children)

    def _stop_all(self, children: dict[str, subprocess.Popen[bytes]]) -> None:
        # The UDP listener takes up to VACMON_SHUTDOWN_GRACE to write (or keep on disk)
        # what it holds; the margin lets it finish that and exit by itself.
        grace = settings.VACMON_SHUTDOWN_GRACE + 10
        if stop_children(children, grace, lambda line: self.stderr.write(line)):
            self.stdout.write("VacMon stopped.")
        else:
            self.stdout.write("VacMon stopped; some parts had to be killed (see above).")
