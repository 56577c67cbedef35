"""The STOMP edge of probe publication: the only code that talks to the broker."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings

from apel.config import BrokerAddress, StompSettings
from apel.stomp_sender import StompSender
from apel.transport import TransportError
from vacmon.probes.outbox import PublishError

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
    """One connection, opened on first send; every message waits for its RECEIPT. The
    connecting, receipts and error texts are APEL's sender's (apel.stomp_sender)."""

    def __init__(self, broker: BrokerSettings, receipt_timeout: float = RECEIPT_TIMEOUT) -> None:
        settings = StompSettings(
            brokers=(BrokerAddress(broker.host, broker.port),),
            destination=broker.destination,
            use_ssl=False,
            username=broker.user,
            password=broker.password,
        )
        self._sender = StompSender(settings, receipt_timeout=receipt_timeout)

    def send(self, headers: Mapping[str, str], body: str) -> None:
        try:
            self._sender.send_frame(body, headers, receipt=uuid.uuid4().hex)
        except TransportError as error:
            raise PublishError(str(error)) from error

    def close(self) -> None:
        self._sender.close()
