"""A bounded set of what was seen lately, whose every operation costs the same however long
the process has run.

Two generations: keys go into the young one, and when it is full the old one is dropped
and the young one takes its place. So it always holds at least the `limit // 2` keys most
recently added (or refreshed: `refresh`) and never more than `limit`.

A dict used as a first-in first-out set (delete its first key when full) is not that:
deleted slots pile up at the front until the dict is rebuilt, and finding the first key
walks over them, so once full each eviction cost up to a few hundred microseconds
(bench/dedup.py), more than parsing the message.
"""

from __future__ import annotations

from collections.abc import Hashable


class RecentSet:
    def __init__(self, limit: int) -> None:
        if limit < 2:
            raise ValueError("a RecentSet holds at least 2 keys")
        self.limit = limit
        self._young: set[Hashable] = set()
        self._old: set[Hashable] = set()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._young or key in self._old

    def __len__(self) -> int:
        return len(self._young) + len(self._old)

    def add(self, key: Hashable) -> None:
        young = self._young
        young.add(key)
        if len(young) >= self.limit // 2:
            self._old, self._young = young, set()

    def refresh(self, key: Hashable) -> bool:
        """Whether `key` is in it; if so it counts as just added, so a key in steady use
        is never forgotten."""
        if key in self._young:
            return True
        if key in self._old:
            self.add(key)
            return True
        return False

    def discard(self, key: Hashable) -> None:
        self._young.discard(key)
        self._old.discard(key)
