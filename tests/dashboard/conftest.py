from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from tests.dashboard.fleet import Fleet, write_fleet


@pytest.fixture(autouse=True)
def _dashboard_urls(settings):
    settings.ROOT_URLCONF = "tests.dashboard.urls"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Pages cache their store reads for a minute; every test starts from the store alone.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def now() -> int:
    return int(time.time())


@pytest.fixture
def fleet(db, now) -> Fleet:
    return write_fleet(now)
