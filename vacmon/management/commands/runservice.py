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
from django.core.management.base import BaseCommand

from vacmon.ops.supervise import stop_children


class Command(BaseCommand):
    help = "Run web, UDP listener, Celery worker and beat together (the embedded default)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--http", default=os.environ.get("VACMON_HTTP_BIND", "0.0.0.0:8000"))
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        bindir = os.path.dirname(python)
        parts = {
            "web": [
                os.path.join(bindir, "gunicorn"),
                "vacmon.wsgi:application",
                "--bind",
                options["http"],
                "--workers",
                str(options["web_workers"]),
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "10",
            ],
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
