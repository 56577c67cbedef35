"""A NUL character in a path or query is a 400, never the database driver's 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/spaces/?site=%00x",
        "/api/v1/probes/results/?site=a%00",
        "/api/v1/sites/a%00b/",
        "/sites/a%00b/",
        "/api/v1/factories/?x%00=1",
    ],
)
def test_it_refuses_a_nul_in_the_path_or_query(client, url):
    answer = client.get(url)
    assert answer.status_code == 400
    assert b"the NUL character is not allowed" in answer.content
