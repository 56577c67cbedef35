"""Send signed messages over STOMP the way ssmsend does, with a RECEIPT for each (spec 2.2).

ssmsend waits for each receipt before the next SEND; `send_all` sends a window of
messages first and then collects their receipts, each message still counted only by its
own receipt.

All stomp.py I/O lives in StompSender; the forwarder only sees `send(message_id, body)`.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import stomp
from stomp.exception import StompException

from apel.config import BrokerAddress, Certificates, StompSettings
from apel.transport import TransportError

CONNECT_TIMEOUT = 10.0  # ssm's CONNECTION_TIMEOUT
# ssmsend waits for a receipt forever; we give up and retry later rather than hang a worker.
RECEIPT_TIMEOUT = 60.0


@dataclass(frozen=True)
class TlsSettings:
    """What stomp.py's set_ssl() receives. Like ssmsend, the broker's certificate is only
    checked when a CA file is given: the EGI brokers were never validated by SSM."""

    cert_file: str
    key_file: str
    ca_certs: str | None
    verify: bool


def tls_settings(settings: StompSettings, certificates: Certificates | None) -> TlsSettings | None:
    if not settings.use_ssl:
        return None
    if certificates is None:
        raise TransportError("use_ssl needs the host certificate and key")
    capath = certificates.capath
    ca_file = str(capath) if capath is not None and capath.is_file() else None
    return TlsSettings(
        str(certificates.certificate), str(certificates.key), ca_file, ca_file is not None
    )


def broker_error_text(headers: dict[str, str], body: object) -> str:
    """An ERROR frame as one line: its `message` header and its body, which is where
    RabbitMQ and ActiveMQ put the detail (e.g. the refused destination)."""
    message = str(headers.get("message", "")).strip()
    detail = " ".join(str(body or "").split())
    if message and detail and detail != message:
        return f"{message}: {detail}"
    return message or detail or "ERROR frame without a message"


def describe(error: BaseException) -> str:
    """`Class: text`, so an exception without text (stomp.py's connection errors) still
    says what happened."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class ReceiptListener(stomp.ConnectionListener):  # type: ignore[misc]
    """Collects CONNECTED, RECEIPT, ERROR and disconnects so a sender can wait for the
    receipt of each SEND."""

    def __init__(self) -> None:
        self.connected = threading.Event()
        self.receipts: set[str] = set()
        self.error: str | None = None
        self.closed = False
        self.changed = threading.Condition()

    def on_connected(self, frame: Any) -> None:
        self.connected.set()

    def on_receipt(self, frame: Any) -> None:
        with self.changed:
            self.receipts.add(str(frame.headers.get("receipt-id", "")))
            self.changed.notify_all()

    def on_error(self, frame: Any) -> None:
        with self.changed:
            self.error = broker_error_text(frame.headers, frame.body)
            self.changed.notify_all()

    def on_disconnected(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def wait_for_receipt(self, receipt: str, timeout: float) -> None:
        """Return once `receipt` has come, or raise TransportError with the reason."""
        with self.changed:
            done = self.changed.wait_for(
                lambda: receipt in self.receipts or self.error is not None or self.closed,
                timeout,
            )
            if receipt in self.receipts:
                self.receipts.discard(receipt)
                return
            if self.error is not None:
                raise TransportError(f"Broker error: {self.error}")
            raise TransportError("Connection lost before the receipt" if done else "No receipt")


class StompSender:
    """A STOMP 1.1 sender: tries each configured broker in turn, one receipt per message.
    The probe publisher sends its messages through it too, with its own headers."""

    def __init__(
        self,
        settings: StompSettings,
        certificates: Certificates | None = None,
        receipt_timeout: float = RECEIPT_TIMEOUT,
    ) -> None:
        self._settings = settings
        self._tls = tls_settings(settings, certificates)
        self._receipt_timeout = receipt_timeout
        self._connection: stomp.Connection11 | None = None
        self._listener = ReceiptListener()

    def send(self, message_id: str, body: str) -> None:
        # persistent: RabbitMQ and ActiveMQ keep a STOMP message across a broker restart
        # only when asked; their receipt alone promises nothing.
        self.send_frame(body, {"empa-id": message_id, "persistent": "true"}, receipt=message_id)

    def send_frame(self, body: str, headers: Mapping[str, str], *, receipt: str) -> None:
        """SEND `body` with `headers` to the destination and wait for `receipt`; raise
        TransportError, with the cause, when it is not acknowledged."""
        connection, listener = self._connect()
        try:
            connection.send(
                self._settings.destination, body, headers={**headers, "receipt": receipt}
            )
            listener.wait_for_receipt(receipt, self._receipt_timeout)
        except (StompException, OSError, TransportError) as error:
            self.close()
            if isinstance(error, TransportError):
                raise
            raise TransportError(describe(error)) from error

    def send_all(self, messages: Sequence[tuple[str, str]]) -> Iterator[str | None]:
        """SEND every message, each asking for its own receipt, then collect the receipts:
        the broker works on one while the next is on its way. A message counts as
        acknowledged only when its own receipt came; receipts may come in any order."""
        try:
            connection, listener = self._connect()
        except TransportError as error:
            yield from [str(error)] * len(messages)
            return
        sent, reason = 0, None
        try:
            for message_id, body in messages:
                headers = {"empa-id": message_id, "persistent": "true", "receipt": message_id}
                connection.send(self._settings.destination, body, headers=headers)
                sent += 1
        except (StompException, OSError) as error:
            reason = describe(error)
        trusted = reason is None
        # One deadline for the whole window: each message had as long as a lone send.
        deadline = time.monotonic() + self._receipt_timeout
        for message_id, _ in messages[:sent]:
            try:
                listener.wait_for_receipt(message_id, max(deadline - time.monotonic(), 0.0))
                yield None
            except TransportError as error:
                trusted = False
                yield str(error)
        if not trusted:
            self.close()  # after a loss or an ERROR frame the connection is not to be trusted
        yield from [reason] * (len(messages) - sent)

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # Already gone is fine: there is nothing left to tidy.
            with contextlib.suppress(StompException, OSError):
                connection.disconnect()

    def _connect(self) -> tuple[stomp.Connection11, ReceiptListener]:
        connection = self._connection
        if connection is not None and connection.is_connected() and not self._listener.closed:
            return connection, self._listener
        self.close()
        failures = []
        for broker in self._settings.brokers:
            try:
                self._connection = self._open(broker)
                return self._connection, self._listener
            except (StompException, OSError, TransportError) as error:
                reason = str(error) if isinstance(error, TransportError) else describe(error)
                failures.append(f"{broker.host}:{broker.port}: {reason}")
        raise TransportError("No broker reachable: " + "; ".join(failures))

    def _open(self, broker: BrokerAddress) -> stomp.Connection11:
        address = (broker.host, broker.port)
        connection = stomp.Connection11(
            [address], reconnect_attempts_max=1, timeout=CONNECT_TIMEOUT, prefer_localhost=False
        )
        if self._tls is not None:
            connection.set_ssl(
                for_hosts=[address],
                cert_file=self._tls.cert_file,
                key_file=self._tls.key_file,
                ca_certs=self._tls.ca_certs,
                verify=self._tls.verify,
                ssl_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        self._listener = ReceiptListener()
        connection.set_listener("apel", self._listener)
        connection.connect(
            username=self._settings.username, passcode=self._settings.password, wait=False
        )
        if not self._listener.connected.wait(CONNECT_TIMEOUT):
            error = self._listener.error
            connection.disconnect()
            raise TransportError(
                "no CONNECTED frame" if error is None else f"Broker error: {error}"
            )
        return connection
