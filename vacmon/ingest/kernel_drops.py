"""Datagrams the kernel dropped because our socket's receive buffer was full.

Linux keeps a per-socket drop count in the last column of /proc/net/udp and udp6, keyed by
the socket's inode. Reading it once a second costs nothing on the receive path, where
SO_RXQ_OVFL would need recvmsg and its ancillary data on every datagram. The system-wide
`Udp: RcvbufErrors` of /proc/net/snmp would also count other programs' sockets.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

TABLES = (Path("/proc/net/udp"), Path("/proc/net/udp6"))


def socket_drops(inode: int, tables: tuple[Path, ...] = TABLES) -> int | None:
    """The kernel's drop count for the socket with this inode; None where not readable."""
    wanted = str(inode)
    for table in tables:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
            if len(fields) >= 13 and fields[9] == wanted:
                return int(fields[12])
    return None


class KernelDrops:
    """New kernel drops on one socket since the last call of `new()`."""

    def __init__(self, sock: socket.socket, tables: tuple[Path, ...] = TABLES) -> None:
        self.inode = os.fstat(sock.fileno()).st_ino
        self.tables = tables
        # Drops before we started are not ours to count (a previous reader's, or none).
        self._seen = socket_drops(self.inode, tables) or 0

    def new(self) -> int:
        drops = socket_drops(self.inode, self.tables)
        if drops is None or drops <= self._seen:
            return 0
        fresh, self._seen = drops - self._seen, drops
        return fresh
