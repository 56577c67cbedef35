"""Log a rejection at most once per source per interval, so a broken or hostile sender
cannot flood the log; the counters still see every datagram."""

from __future__ import annotations

import logging

log = logging.getLogger("vacmon.ingest")


class RateLimitedLog:
    def __init__(self, interval: float = 60.0, max_sources: int = 100_000) -> None:
        self.interval = interval
        self.max_sources = max_sources
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def rejected(self, source: str, reason: str, detail: str, now: float) -> bool:
        """Log this rejection unless `source` was logged within the interval; True if logged."""
        last = self._last.get(source)
        if last is not None and now - last < self.interval:
            self._suppressed[source] = self._suppressed.get(source, 0) + 1
            return False
        if len(self._last) >= self.max_sources:
            self._forget_old(now)
        suppressed = self._suppressed.pop(source, 0)
        more = f" ({suppressed} more from this source suppressed)" if suppressed else ""
        log.warning("rejected message from %s: %s: %s%s", source, reason, detail, more)
        self._last[source] = now
        return True

    def _forget_old(self, now: float) -> None:
        self._last = {s: t for s, t in self._last.items() if now - t < self.interval}
        if len(self._last) >= self.max_sources:
            self._last.clear()
        # A forgotten source's suppressed count goes with it: forged sources that each send
        # two bad datagrams would otherwise grow it without end.
        self._suppressed = {s: n for s, n in self._suppressed.items() if s in self._last}
