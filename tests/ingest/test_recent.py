"""The bounded sets ingest remembers recent keys and names in (vacmon.ingest.recent)."""

from __future__ import annotations

import pytest

from vacmon.ingest.pipeline import RecentKeys
from vacmon.ingest.recent import RecentSet


def test_it_remembers_at_least_the_newest_half_of_its_limit_and_never_more_than_the_limit():
    recent = RecentSet(100)
    for i in range(1_000):
        recent.add(i)
        assert len(recent) <= 100
        assert all(k in recent for k in range(max(0, i - 49), i + 1))
    assert 0 not in recent and 949 not in recent


def test_a_discarded_key_is_no_longer_in_it_whichever_generation_held_it():
    recent = RecentSet(10)
    for i in range(7):  # 0..4 have moved to the old generation, 5 and 6 are young
        recent.add(i)
    recent.discard(1)
    recent.discard(6)
    recent.discard("never added")
    assert 1 not in recent and 6 not in recent
    assert {0, 2, 3, 4, 5} == {k for k in range(7) if k in recent}


def test_a_limit_below_two_is_refused():
    with pytest.raises(ValueError):
        RecentSet(1)


def test_a_recent_duplicate_is_still_found_after_many_more_keys_than_the_limit():
    keys = RecentKeys(size=1_000)
    for i in range(10_000):
        assert not keys.seen(("factory_status", "S", "s", f"f{i}", "", 1))
        # A version-logger copy a few messages later.
        if i >= 3:
            assert keys.seen(("factory_status", "S", "s", f"f{i - 3}", "", 1))


def test_a_key_forgotten_after_a_failed_write_is_taken_again():
    keys = RecentKeys(size=1_000)
    key = ("factory_status", "S", "s", "f", "", 1)
    assert not keys.seen(key)
    keys.forget([key])
    assert not keys.seen(key)
    assert keys.seen(key)


def test_a_key_refreshed_while_in_use_is_never_forgotten():
    recent = RecentSet(10)
    recent.add("in use")
    for i in range(100):
        recent.add(i)
        assert recent.refresh("in use")
    assert not recent.refresh("never added")
    assert 0 not in recent
