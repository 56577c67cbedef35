"""The STOMP edge of probe publication: the only code that talks to the broker."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import stomp
from django.conf import settings
from stomp.exception import StompException

from apel.stomp_sender import ReceiptListener
from apel.transport import TransportError
from vacmon.probing.outbox import PublishError

CONNECT_TIMEOUT = 10.0
# A worker waits this long for each receipt before leaving the message queued for later.
RECEIPT_TIMEOUT = 30.0


@dataclass(frozen=True)
class BrokerSettings:
    host: str
    port: int
    user: str
    password: str
    destination: str

    @classmethod
    def from_settings(cls) -> BrokerSettings:
        return cls(
            settings.VACMON_PROBE_STOMP_HOST,
            settings.VACMON_PROBE_STOMP_PORT,
            settings.VACMON_PROBE_STOMP_USER,
            settings.VACMON_PROBE_STOMP_PASSWORD,
            settings.VACMON_PROBE_STOMP_DESTINATION,
        )


class StompPublisher:
    """One connection, opened on first send; every message waits for its RECEIPT."""

    def __init__(self, broker: BrokerSettings, receipt_timeout: float = RECEIPT_TIMEOUT) -> None:
        self._broker = broker
        self._receipt_timeout = receipt_timeout
        self._connection: stomp.Connection11 | None = None
        self._listener = ReceiptListener()

    def send(self, headers: Mapping[str, str], body: str) -> None:
        try:
            connection = self._connect()
            receipt = uuid.uuid4().hex
            connection.send(self._broker.destination, body, headers={**headers, "receipt": receipt})
            self._listener.wait_for_receipt(receipt, self._receipt_timeout)
        except (StompException, OSError, PublishError, TransportError) as error:
            self.close()
            raise PublishError(str(error) or type(error).__name__) from error

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(StompException, OSError):
                connection.disconnect()

    def _connect(self) -> stomp.Connection11:
        connection = self._connection
        if connection is not None and connection.is_connected() and not self._listener.closed:
            return connection
        self.close()
        address = (self._broker.host, self._broker.port)
        connection = stomp.Connection11(
            [address], reconnect_attempts_max=1, timeout=CONNECT_TIMEOUT, prefer_localhost=False
        )
        self._listener = ReceiptListener()
        connection.set_listener("probes", self._listener)
        connection.connect(self._broker.user, self._broker.password, wait=False)
        if not self._listener.connected.wait(CONNECT_TIMEOUT):
            error = self._listener.error or "no CONNECTED frame"
            with contextlib.suppress(StompException, OSError):
                connection.disconnect()
            raise PublishError(error)
        self._connection = connection
        return connection
