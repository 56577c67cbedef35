from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Each test gets an empty in-memory cache instead of the shared on-disk one, so cached
    dashboard reads never leak between tests or test runs."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _forget_stored_outcomes():
    """The store writer remembers which machine outcomes it stored; each test's database
    starts empty, so it starts with nothing remembered."""
    from vacmon.store.embedded import writer

    writer._STORED.clear()


@pytest.fixture(autouse=True)
def _fresh_name_budget():
    """HTTP ingest keeps one name budget per process: each test starts with none spent and
    no names known, as its database starts empty."""
    from vacmon.ingest import http

    http._budgets.clear()


@pytest.fixture(autouse=True)
def _no_http_counts_pending():
    """HTTP ingest's counters live as long as the process: an earlier test may have left
    counts unsaved (a request answered 503 saves none), which this one would then save."""
    from vacmon.ingest import http

    http._counters._pending.clear()


@pytest.fixture(autouse=True)
def _fresh_http_dedup():
    """HTTP ingest remembers the keys it took lately, per process: each test's database
    starts empty, so a message another test sent is no duplicate in this one."""
    from vacmon.ingest import http
    from vacmon.ingest.pipeline import RecentKeys

    http._parser.recent = RecentKeys()
