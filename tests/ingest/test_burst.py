"""A burst larger than the listener's buffer: the listener stops reading when its buffer is
full, every datagram is then either written or counted as dropped by the kernel, and what
is held never exceeds the buffer's bytes."""

from __future__ import annotations

import json
import socket
import threading
import time
import tracemalloc

import pytest

from tests import samples
from vacmon.ingest.buffer import OVERHEAD, RawBuffer
from vacmon.ingest.counters import Counters, read_all
from vacmon.ingest.kernel_drops import KernelDrops, socket_drops
from vacmon.ingest.pipeline import BatchWriter, Parser
from vacmon.ingest.udp import KERNEL_DROPPED, UdpListener, open_socket
from vacmon.store.base import WriteResult

pytestmark = pytest.mark.django_db(transaction=True)

BUFFER = 64 * 1024
SENT = 2000


def datagram(i: int) -> bytes:
    body = json.loads(samples.VAC_FACTORY)
    body.update(factory=f"f{i}.example", time_sent=1_700_000_000 + i)
    return json.dumps(body).encode()


def test_the_buffer_refuses_what_would_pass_its_bytes_and_frees_what_is_taken():
    buffer = RawBuffer(2 * (100 + OVERHEAD))
    assert buffer.put(b"x" * 100, "a", 0.0)
    assert buffer.put(b"x" * 100, "a", 0.0)
    assert not buffer.put(b"x", "a", 0.0)
    assert [len(d) for d, _, _ in buffer.take(5)] == [100, 100]
    assert buffer.bytes == 0
    assert buffer.put(b"y" * 100, "a", 0.0)
    taken = [buffer.popleft()]
    buffer.put_back(taken)
    assert list(buffer) == taken and buffer.bytes == 100 + OVERHEAD


def test_a_burst_larger_than_the_buffer_is_held_or_counted_and_memory_stays_bounded(client):
    counters = Counters()
    written: list[object] = []

    def write(messages):
        written.extend(messages)
        return WriteResult(inserted=len(messages), duplicates=0)

    # Not started yet: nothing drains the buffer, so it fills and the listener stops reading.
    writer = BatchWriter(Parser(counters, "udp"), write, buffer_bytes=BUFFER, max_delay=0.01)
    sock = open_socket("127.0.0.1", 0, 65536)
    listener = UdpListener(sock, writer, account_every=3600)
    port = listener.address[1]
    payloads = [datagram(i) for i in range(2 * SENT)]
    tracemalloc.start()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        # Before the listener reads anything: the kernel's buffer overflows.
        for data in payloads[:SENT]:
            sender.sendto(data, ("127.0.0.1", port))
        thread = threading.Thread(target=listener.serve)
        thread.start()
        for data in payloads[SENT:]:
            sender.sendto(data, ("127.0.0.1", port))
    time.sleep(0.5)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert 0 < writer.raw.bytes <= BUFFER
    # What the burst allocated here: the payloads the test built and the bounded buffer.
    assert peak < sum(map(len, payloads)) * 2 + BUFFER + 1_000_000
    writer.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (sock_idle(listener) and not writer.raw):
        time.sleep(0.05)
    listener.stop()
    thread.join(5)
    writer.stop(5)
    kernel = counters.total("udp", "rejected", KERNEL_DROPPED)
    assert kernel > 0
    assert counters.total("udp", "rejected", "queue_full") == 0
    assert len(written) + kernel == 2 * SENT  # nothing lost without being counted
    assert read_all()[("udp", "rejected", KERNEL_DROPPED)] == kernel
    metrics = client.get("/metrics").content.decode()
    assert (
        f'vacmon_ingest_rejected_total{{channel="udp",reason="{KERNEL_DROPPED}"}} {kernel}.0'
        in metrics
    )


def sock_idle(listener: UdpListener) -> bool:
    """Nothing is left in the socket's receive queue (the listener read it all)."""
    return socket_rx_queue(listener.kernel_drops) == 0


def socket_rx_queue(drops: KernelDrops) -> int:
    for table in drops.tables:
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] == str(drops.inode):
                return int(fields[4].split(":")[1], 16)
    return 0


def test_kernel_drops_count_only_what_is_new_and_none_where_unreadable(tmp_path):
    table = tmp_path / "udp"
    head = "sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops\n"
    row = "0: 0100007F:1F90 00000000:0000 07 0:0 00:00000000 00000000 0 0 {} 2 ff {}\n"
    table.write_text(head + row.format(4242, 5))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        drops = KernelDrops(sock, (table,))
        drops.inode = 4242
        drops._seen = 5
        table.write_text(head + row.format(4242, 12))
        assert drops.new() == 7
        assert drops.new() == 0
    assert socket_drops(4242, (tmp_path / "missing",)) is None
