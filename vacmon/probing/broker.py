"""The STOMP edge of probe publication: the only code that talks to the broker."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stomp
from django.conf import settings
from stomp.exception import StompException

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


class _Listener(stomp.ConnectionListener):  # type: ignore[misc]
    def __init__(self) -> None:
        self.connected = threading.Event()
        self.changed = threading.Condition()
        self.receipts: set[str] = set()
        self.error: str | None = None
        self.closed = False

    def on_connected(self, frame: Any) -> None:
        self.connected.set()

    def on_receipt(self, frame: Any) -> None:
        with self.changed:
            self.receipts.add(str(frame.headers.get("receipt-id", "")))
            self.changed.notify_all()

    def on_error(self, frame: Any) -> None:
        with self.changed:
            self.error = str(frame.headers.get("message", frame.body))
            self.changed.notify_all()

    def on_disconnected(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def wait_for(self, receipt: str, timeout: float) -> None:
        with self.changed:
            self.changed.wait_for(
                lambda: receipt in self.receipts or self.error is not None or self.closed, timeout
            )
            if receipt in self.receipts:
                self.receipts.discard(receipt)
                return
            raise PublishError(self.error or ("connection lost" if self.closed else "no receipt"))


class StompPublisher:
    """One connection, opened on first send; every message waits for its RECEIPT."""

    def __init__(self, broker: BrokerSettings, receipt_timeout: float = RECEIPT_TIMEOUT) -> None:
        self._broker = broker
        self._receipt_timeout = receipt_timeout
        self._connection: stomp.Connection11 | None = None
        self._listener = _Listener()

    def send(self, headers: Mapping[str, str], body: str) -> None:
        try:
            connection = self._connect()
            receipt = uuid.uuid4().hex
            connection.send(self._broker.destination, body, headers={**headers, "receipt": receipt})
            self._listener.wait_for(receipt, self._receipt_timeout)
        except (StompException, OSError, PublishError) as error:
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
        self._listener = _Listener()
        connection.set_listener("probes", self._listener)
        connection.connect(self._broker.user, self._broker.password, wait=False)
        if not self._listener.connected.wait(CONNECT_TIMEOUT):
            error = self._listener.error or "no CONNECTED frame"
            with contextlib.suppress(StompException, OSError):
                connection.disconnect()
            raise PublishError(error)
        self._connection = connection
        return connection
