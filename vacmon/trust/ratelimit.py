"""Per-source token buckets with bounded memory.

Pure and single-threaded by design: the UDP writer thread and each HTTP worker own their
own limiter, so the hot path takes no lock.
"""

from __future__ import annotations


class TokenBucket:
    """`burst` tokens at most, refilled at `rate` per second; one token per message."""

    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp

    def take(self, rate: float, burst: float, now: float, cost: float = 1.0) -> bool:
        elapsed = now - self.stamp
        if elapsed > 0:
            self.tokens = min(burst, self.tokens + elapsed * rate)
            self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    def full_at(self, rate: float, burst: float) -> float:
        """When the bucket will be full again, i.e. when forgetting it changes nothing."""
        return self.stamp + (burst - self.tokens) / rate


class RateLimiter:
    """`allow(source, now)` is False once a source exceeds `rate`/s beyond `burst`.

    At most `max_sources` buckets are kept. When full, buckets that have refilled are
    forgotten first (a new full bucket is the same thing); if a flood of distinct sources
    still fills the table, the older half is dropped, which errs towards allowing.
    """

    def __init__(self, rate: float, burst: float, max_sources: int = 100_000) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = float(rate)
        self.burst = float(burst)
        self.max_sources = max_sources
        self._buckets: dict[str, TokenBucket] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def allow(self, source: str, now: float, cost: float = 1.0) -> bool:
        bucket = self._buckets.get(source)
        if bucket is None:
            if len(self._buckets) >= self.max_sources:
                self._evict(now)
            bucket = self._buckets[source] = TokenBucket(self.burst, now)
        return bucket.take(self.rate, self.burst, now, cost)

    def _evict(self, now: float) -> None:
        rate, burst = self.rate, self.burst
        self._buckets = {
            source: bucket
            for source, bucket in self._buckets.items()
            if bucket.full_at(rate, burst) > now
        }
        if len(self._buckets) >= self.max_sources * 0.9:
            keep = list(self._buckets.items())[len(self._buckets) // 2 :]
            self._buckets = dict(keep)


def limiter_from_settings(channel: str) -> RateLimiter | None:
    """The limiter configured for "udp" or "http"; None when the rate is 0 (off)."""
    from django.conf import settings

    rate = float(getattr(settings, f"VACMON_{channel.upper()}_RATE", 0))
    burst = float(getattr(settings, f"VACMON_{channel.upper()}_BURST", 1))
    if rate <= 0:
        return None
    return RateLimiter(rate, max(burst, 1.0))
