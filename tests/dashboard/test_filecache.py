"""The shared page cache: Django's file cache, storing values uncompressed."""

from __future__ import annotations

import pickle
from pathlib import Path

from django.core.cache.backends.filebased import FileBasedCache

from vacmon.filecache import UncompressedFileCache


def cache_in(directory: Path) -> UncompressedFileCache:
    return UncompressedFileCache(str(directory), {})


def test_a_value_comes_back_as_it_was_set_and_is_stored_uncompressed(tmp_path: Path) -> None:
    cache = cache_in(tmp_path)
    value = {"buckets": list(range(1000)), "name": "atlas"}
    cache.set("k", value, 60)
    assert cache.get("k") == value
    (stored,) = tmp_path.glob("*.djcache")
    with stored.open("rb") as f:
        pickle.load(f)  # the expiry
        assert pickle.loads(f.read()) == value


def test_an_expired_value_is_a_miss(tmp_path: Path) -> None:
    cache = cache_in(tmp_path)
    cache.set("k", "v", -1)
    assert cache.get("k", "default") == "default"


def test_touch_keeps_the_value_and_reports_a_missing_key(tmp_path: Path) -> None:
    cache = cache_in(tmp_path)
    cache.set("k", [1, 2], 60)
    assert cache.touch("k", 600) is True
    assert cache.get("k") == [1, 2]
    assert cache.touch("absent") is False


def test_a_file_left_by_djangos_compressed_cache_is_a_miss_then_replaced(tmp_path: Path) -> None:
    FileBasedCache(str(tmp_path), {}).set("k", "old", 60)
    cache = cache_in(tmp_path)
    assert cache.get("k") is None
    cache.set("k", "new", 60)
    assert cache.get("k") == "new"
