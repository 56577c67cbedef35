"""The byte-bounded buffer between the UDP socket loop and the parsers.

The socket loop only copies datagrams in here; parsing and writing happen behind it. The
bound is in bytes, not datagrams, because a count says nothing about memory: a million
queued datagrams cost the listener over 900 MB (issue 17). When the buffer is full the UDP
listener stops reading and the kernel's receive buffer is the next queue (its drops are
counted: vacmon.ingest.kernel_drops); a writer's submit refuses and counts `queue_full`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vacmon.ingest.counters import Counters

Raw = tuple[bytes, str, float]
QUEUE_FULL = "queue_full"

# What one queued datagram costs besides its payload, measured with sys.getsizeof on
# CPython 3.11: the bytes header (33), the tuple (64), the float (24), the source string
# (about 55) and the deque slot (8), rounded up.
OVERHEAD = 200


class RawBuffer:
    """A FIFO of raw datagrams holding at most `limit` bytes (payload plus OVERHEAD each).

    One thread puts and one thread takes. Each side adds only to its own tally, so the
    size (their difference) needs no lock: deque append and popleft are atomic, and an int
    that only one thread writes is never lost."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: deque[Raw] = deque()
        self._put_bytes = 0
        self._taken_bytes = 0

    @property
    def bytes(self) -> int:
        return self._put_bytes - self._taken_bytes

    def put(self, data: bytes, source: str, received: float) -> bool:
        """Queue one datagram; False when it does not fit (the caller counts it)."""
        cost = len(data) + OVERHEAD
        if self._put_bytes - self._taken_bytes + cost > self.limit:
            return False
        self._items.append((data, source, received))
        self._put_bytes += cost
        return True

    def take(self, most: int) -> list[Raw]:
        """Up to `most` datagrams from the front, oldest first."""
        items = self._items
        out = [items.popleft() for _ in range(min(most, len(items)))]
        self._taken_bytes += sum(len(item[0]) for item in out) + OVERHEAD * len(out)
        return out

    def popleft(self) -> Raw:
        item = self._items.popleft()
        self._taken_bytes += len(item[0]) + OVERHEAD
        return item

    def put_back(self, raws: Iterable[Raw]) -> None:
        """Return datagrams to the front, in order, whatever the limit: they were already
        counted in once (a write that gave up hands its batch back for spilling)."""
        back = list(raws)
        self._items.extendleft(reversed(back))
        self._taken_bytes -= sum(len(item[0]) for item in back) + OVERHEAD * len(back)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[Raw]:
        return iter(list(self._items))


class Intake:
    """What the UDP socket loop hands datagrams to (the in-process BatchWriter, or the
    WorkerPool in front of worker processes): a RawBuffer and the counters its refusals go
    to. `submit` is the one place a datagram refused for want of room is counted."""

    raw: RawBuffer
    counters: Counters
    channel: str = "udp"

    def submit(self, data: bytes, source: str, received: float) -> bool:
        """Queue one datagram; False (and counted as `queue_full`) when it does not fit."""
        if self.raw.put(data, source, received):
            return True
        self.counters.add(self.channel, "rejected", QUEUE_FULL)
        return False
