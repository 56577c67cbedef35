from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apel import activemq_support
from tests.apel.helpers import Pki, make_pki
from tests.apel.ports import listening


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(Path(tmp_path_factory.mktemp("pki")))


def broker_port_open(port: int = 61613) -> bool:
    return listening(port, timeout=1)


@pytest.fixture
def rabbitmq() -> tuple[str, int]:
    if not broker_port_open():
        pytest.skip("BROKER TESTS SKIPPED: nothing listens on 127.0.0.1:61613 (RabbitMQ STOMP)")
    return "127.0.0.1", 61613


@pytest.fixture(scope="module")
def activemq_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A private ActiveMQ for one test module, stopped after it; skipped loudly when the
    distribution is not installed."""
    try:
        process, port = activemq_support.start(Path(tmp_path_factory.mktemp("activemq")))
    except activemq_support.ActiveMqUnavailable as error:
        pytest.skip(f"ACTIVEMQ TEST SKIPPED: {error}")
    yield port
    activemq_support.stop(process)
