from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.trust.issuer import AUDIENCE, Issuer, serve_issuer
from vacmon.trust import oidc


@pytest.fixture
def issuer(settings) -> Iterator[Issuer]:
    with serve_issuer() as running:
        settings.VACMON_OIDC_ISSUER = running.url
        settings.VACMON_OIDC_AUDIENCE = AUDIENCE
        settings.VACMON_OIDC_JWKS_URL = running.url + "/jwks"
        settings.VACMON_OIDC_OPERATOR_GROUPS = ["/vacmon/operators"]
        oidc.reset_cache()
        yield running
        oidc.reset_cache()
