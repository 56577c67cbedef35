from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.apel.broker_support import delete_queue, new_queue_name

# The core's fixtures, shared rather than copied: pytest finds them by their names here.
from tests.apel.conftest import activemq_port, broker_port_open, pki  # noqa: F401


@pytest.fixture
def rabbitmq_queue() -> Iterator[str]:
    """A fresh queue on the machine's RabbitMQ (STOMP 61613), deleted afterwards."""
    if not broker_port_open():
        pytest.skip("BROKER TESTS SKIPPED: nothing listens on 127.0.0.1:61613 (RabbitMQ STOMP)")
    name = new_queue_name()
    yield name
    delete_queue(name)


@pytest.fixture(autouse=True)
def _anonymous_uploads_for_open_sites(settings):
    """Most of these tests are about records, not credentials: they upload anonymously for
    open sites, as a deployment with VACMON_APEL_UPLOAD_AUTH=false allows. The default
    (tokens required) is held by tests/trust/test_channels.py."""
    settings.VACMON_APEL_UPLOAD_AUTH = False
