"""Django's file-based cache, shared by the web workers and the warm-up task, without zlib.

The dashboard caches chart data of a few hundred kilobytes per page (per-sender buckets,
outcomes, lifecycle rows). Django's backend compresses every value with zlib, which took
5-14 ms of each page that had to fill the cache, more than the pickling. The cache
directory is local disk and bounded by MAX_ENTRIES, so the bytes are cheaper than the time.
"""

from __future__ import annotations

import pickle
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache

_MISSING = object()


class UncompressedFileCache(FileBasedCache):  # type: ignore[misc]
    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        try:
            with open(self._key_to_file(key, version), "rb") as f:
                if not self._is_expired(f):
                    return pickle.loads(f.read())
        except FileNotFoundError:
            pass
        except (pickle.UnpicklingError, EOFError, ValueError):
            # A file written by a different format (Django's compressed one, before an
            # upgrade) is a miss, and is replaced by the next set.
            pass
        return default

    def _write_content(self, file: Any, timeout: Any, value: Any) -> None:
        expiry = self.get_backend_timeout(timeout)
        file.write(pickle.dumps(expiry, self.pickle_protocol))
        file.write(pickle.dumps(value, self.pickle_protocol))

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        value = self.get(key, _MISSING, version)
        if value is _MISSING:
            return False
        self.set(key, value, timeout, version)
        return True
