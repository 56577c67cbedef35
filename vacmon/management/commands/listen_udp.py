"""Run the UDP listener (port 8884 by default) until SIGTERM or Ctrl-C.

On SIGTERM the socket stops receiving and everything already received is parsed and
written before the process exits, within VACMON_SHUTDOWN_GRACE seconds; what a store that
stays unavailable has not taken by then is kept on disk and written at the next start.
"""

from __future__ import annotations

import logging
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from vacmon.ingest.counters import Counters
from vacmon.ingest.name_refusals import budget_from_settings
from vacmon.ingest.pipeline import BatchWriter, Parser
from vacmon.ingest.spill import spill, take_spilled
from vacmon.ingest.udp import UdpListener, open_socket
from vacmon.ingest.workers import WorkerPool, udp_gate
from vacmon.publisher.first import NewSpaces
from vacmon.store import get_store

log = logging.getLogger("vacmon.ingest")


class Command(BaseCommand):
    help = "Receive factory status messages over UDP and store them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.VACMON_UDP_HOST)
        parser.add_argument("--port", type=int, default=settings.VACMON_UDP_PORT)
        parser.add_argument("--reuse-port", action="store_true", help="SO_REUSEPORT")
        parser.add_argument("--port-file", help="write the bound port here (port 0)")
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.VACMON_UDP_WORKERS,
            help="parse/write processes; 0 parses and writes in this process",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sock = open_socket(
            options["host"], options["port"], settings.VACMON_UDP_RCVBUF, options["reuse_port"]
        )
        writer = self._writer(options["workers"])
        listener = UdpListener(sock, writer)
        host, port = listener.address
        if options["port_file"]:
            with open(options["port_file"], "w") as f:
                f.write(str(port))
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: listener.stop())
        for data, source, received in take_spilled():
            writer.submit(data, source, received)  # before anything received now
        writer.start()
        self.stdout.write(f"VacMon UDP listener on [{host}]:{port}", ending="\n")
        self.stdout.flush()
        listener.serve()
        if not self._stop_writer(writer, settings.VACMON_SHUTDOWN_GRACE):
            raise SystemExit(3)
        log.info("UDP listener stopped")

    @staticmethod
    def _stop_writer(writer: BatchWriter | WorkerPool, grace: float) -> bool:
        """Write what is held within `grace` seconds; keep on disk what the store did not
        take (vacmon.ingest.spill). False when anything had to be kept or killed."""
        log.info("stopping: writing %d queued datagrams within %d s", len(writer.raw), grace)
        if isinstance(writer, WorkerPool):
            return writer.stop(grace)
        if writer.stop(grace):
            return True
        why = writer.stuck.last_error if writer.stuck else "the writer did not finish"
        spill(list(writer.raw), why)
        return False

    def _writer(self, workers: int) -> BatchWriter | WorkerPool:
        if workers > 0:
            return WorkerPool(
                workers,
                _store_writer,
                skew_seconds=settings.VACMON_SKEW_SECONDS,
                batch_size=settings.VACMON_BATCH_SIZE,
                buffer_bytes=settings.VACMON_UDP_BUFFER_BYTES,
                grace=settings.VACMON_SHUTDOWN_GRACE,
            )
        return BatchWriter(
            Parser(
                Counters(),
                "udp",
                settings.VACMON_SKEW_SECONDS,
                udp_gate(),
                budget_from_settings(),
            ),
            get_store().write,
            batch_size=settings.VACMON_BATCH_SIZE,
            max_delay=settings.VACMON_BATCH_SECONDS,
            buffer_bytes=settings.VACMON_UDP_BUFFER_BYTES,
            on_written=NewSpaces(),
            prepare=get_store().prepare,
        )


def _store_writer() -> Any:
    return get_store().write
