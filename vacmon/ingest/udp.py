"""The UDP socket side of ingest: receive datagrams as fast as the kernel hands them over."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable

from factories.messages import MAX_DATAGRAM
from vacmon.ingest.buffer import Intake
from vacmon.ingest.kernel_drops import KernelDrops
from vacmon.store.writelock import write_lock

log = logging.getLogger("vacmon.ingest")

# One byte more than the largest legal payload, so an oversize datagram is seen as such.
RECV_SIZE = MAX_DATAGRAM + 1
# SO_RCVBUFFORCE (Linux) lets root exceed net.core.rmem_max; ordinary users get the cap.
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
# How often a listener whose buffer is full looks for room: well under what the kernel's
# receive buffer holds at line rate (32 MiB, some 15,000 datagrams, about 0.2 s).
ROOM_POLL = 0.002
# The reason under which datagrams the kernel dropped (our receive buffer was full) count.
KERNEL_DROPPED = "kernel_buffer_full"


def open_socket(host: str, port: int, rcvbuf: int, reuse_port: bool = False) -> socket.socket:
    """Bind a UDP socket; "::" is dual-stack (IPv6 and IPv4-mapped) where the OS allows."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    for option in (SO_RCVBUFFORCE, socket.SO_RCVBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, rcvbuf)
            break
        except OSError:
            continue
    sock.bind((host, port))
    return sock


def source_of(address: tuple[object, ...]) -> str:
    host = str(address[0])
    # Show IPv4 senders on a dual-stack socket as plain IPv4.
    return host[7:] if host.startswith("::ffff:") else host


class UdpListener:
    """Receives on one socket and hands every datagram to the batch writer; once a second
    (`account`) it counts what the kernel dropped and saves what the socket side counted."""

    def __init__(
        self,
        sock: socket.socket,
        writer: Intake,
        clock: Callable[[], float] = time.time,
        account_every: float = 1.0,
    ) -> None:
        self.sock = sock
        self.writer = writer
        self.clock = clock
        self.account_every = account_every
        self.kernel_drops = KernelDrops(sock)
        self._stop = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.sock.getsockname()[:2]
        return host, port

    def serve(self) -> None:
        """Receive until stop(); then close the socket. The writer is stopped by the caller."""
        accounting = threading.Thread(target=self._account_loop, name="vacmon-udp-account")
        accounting.start()
        try:
            self._receive()
        finally:
            accounting.join()
            self.account()
            self.sock.close()

    def _receive(self) -> None:
        # Nothing but copying into the writer's buffer happens here: each statement in
        # this loop is paid once per datagram, at line rate.
        self.sock.settimeout(0.5)
        recvfrom = self.sock.recvfrom
        put = self.writer.raw.put
        now = self.clock
        stopped = self._stop.is_set
        while not stopped():
            try:
                data, address = recvfrom(RECV_SIZE)
            except TimeoutError:
                continue
            except OSError:
                if stopped():
                    break
                log.exception("recvfrom failed")
                continue
            if not put(data, source_of(address), now()):
                self._wait_for_room(data, source_of(address), now())

    def _wait_for_room(self, data: bytes, source: str, received: float) -> None:
        """The buffer is full: stop reading, so the kernel's receive buffer is the next
        queue (what overflows it is counted from the kernel's drops), and go on once the
        parsers have made room. Only a datagram still waiting at stop is refused here."""
        put = self.writer.raw.put
        while not self._stop.wait(ROOM_POLL):
            if put(data, source, received):
                return
        self.writer.submit(data, source, received)  # counted as queue_full if still full

    def _account_loop(self) -> None:
        while not self._stop.wait(self.account_every):
            self.account()

    def account(self) -> None:
        """Count the kernel's new drops on our socket and save the socket side's counts
        (`queue_full` among them), so /metrics and the API show loss while it happens."""
        counters = self.writer.counters
        counters.add("udp", "rejected", KERNEL_DROPPED, n=self.kernel_drops.new())
        if counters.pending:
            with write_lock():
                counters.flush()

    def stop(self) -> None:
        self._stop.set()
