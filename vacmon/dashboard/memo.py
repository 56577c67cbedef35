"""The dashboard's one way to cache a computed read: get, else compute and set.

Django's `cache.get_or_set` reads the value back after storing it. Pages fill the cache
with chart data of a few hundred kilobytes, so reading it back would unpickle it again on
every miss; this returns the value it computed instead.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")


def digest(prefix: str, parts: object) -> str:
    """A cache key for plain values (scopes, ranges, strings, tuples of them)."""
    return prefix + hashlib.sha1(pickle.dumps(parts)).hexdigest()


def remember(key: str, seconds: int, compute: Callable[[], T]) -> T:
    """The cached value under `key`, or `compute()` stored there for `seconds`. A None
    result is not remembered: it is indistinguishable from a miss."""
    hit = cache.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    value = compute()
    cache.set(key, value, seconds)
    return value
