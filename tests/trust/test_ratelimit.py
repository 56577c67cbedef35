from __future__ import annotations

import pytest

from vacmon.trust.ratelimit import RateLimiter, limiter_from_settings


def test_it_allows_a_burst_then_refuses():
    limiter = RateLimiter(rate=10, burst=5)
    assert [limiter.allow("a", 100.0) for _ in range(7)] == [True] * 5 + [False] * 2


def test_it_refills_at_the_rate():
    limiter = RateLimiter(rate=4, burst=5)
    for _ in range(5):
        limiter.allow("a", 100.0)
    assert not limiter.allow("a", 100.125)
    assert limiter.allow("a", 100.25)
    assert not limiter.allow("a", 100.25)


def test_it_never_holds_more_than_the_burst():
    limiter = RateLimiter(rate=10, burst=5)
    limiter.allow("a", 0.0)
    allowed = sum(limiter.allow("a", 10_000.0) for _ in range(20))
    assert allowed == 5


def test_sources_have_their_own_buckets():
    limiter = RateLimiter(rate=1, burst=1)
    assert limiter.allow("a", 0.0)
    assert not limiter.allow("a", 0.0)
    assert limiter.allow("b", 0.0)


def test_memory_stays_bounded_under_a_flood_of_sources():
    limiter = RateLimiter(rate=1, burst=10, max_sources=1000)
    for n in range(20_000):
        limiter.allow(f"10.0.{n // 256}.{n % 256}", 0.0)
    assert len(limiter) <= 1000


def test_forgetting_refilled_buckets_changes_no_decision():
    limiter = RateLimiter(rate=1, burst=2, max_sources=2)
    limiter.allow("a", 0.0)
    limiter.allow("b", 0.0)
    # "a" and "b" are full again at t=1, so evicting them is harmless.
    assert limiter.allow("c", 5.0)
    assert len(limiter) == 1


def test_it_refuses_a_nonsensical_configuration():
    with pytest.raises(ValueError):
        RateLimiter(rate=0, burst=5)


def test_a_zero_rate_in_settings_turns_the_limit_off(settings):
    settings.VACMON_UDP_RATE = 0
    assert limiter_from_settings("udp") is None
    settings.VACMON_HTTP_RATE = 20
    settings.VACMON_HTTP_BURST = 40
    limiter = limiter_from_settings("http")
    assert limiter is not None and (limiter.rate, limiter.burst) == (20.0, 40.0)
