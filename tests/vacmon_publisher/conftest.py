from __future__ import annotations

import pytest

from vacmon.publisher import selectors


@pytest.fixture(autouse=True)
def _fresh_serving_cache():
    # Each test has its own database; answers remembered from another test are wrong here.
    selectors.forget_all()
    yield
    selectors.forget_all()
