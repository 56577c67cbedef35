from __future__ import annotations

from pathlib import Path

import pytest

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
