"""One forwarding pass: read the SSM-style config, check the certificates, drain the outbox.

VACMON_APEL_CONFIG names an INI file an APEL admin recognises (see apel.config); empty
means forwarding is off and records simply wait in the outbox. Like ssmsend, each pass
starts by checking that the host certificate matches its key and does not expire within
24 hours, and refuses to send otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from apel.ams_sender import AmsSender
from apel.config import ApelConfig, ConfigError, load_config
from apel.forwarder import WINDOW, Backoff, Forwarder, ForwardReport
from apel.smime import CertificateError, Signer
from apel.stomp_sender import StompSender
from apel.transport import Transport, TransportError
from vacmon.apel.outbox import DjangoOutbox
from vacmon.models import ApelForwarderState

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
TransportWrapper = Callable[[Transport], Transport]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ForwardingRefused(RuntimeError):
    """The configuration or the credentials stop this pass before anything is claimed."""


@dataclass(frozen=True)
class PassResult:
    enabled: bool
    report: ForwardReport | None = None
    refused: str | None = None


def config_path() -> Path | None:
    raw = str(getattr(settings, "VACMON_APEL_CONFIG", "") or "").strip()
    return Path(raw) if raw else None


def prepare(path: Path, now: datetime) -> tuple[ApelConfig, Signer, Transport]:
    """Read the config and check the credentials, as ssmsend does at start-up."""
    try:
        config = load_config(path)
        certs = config.certificates
        signer = Signer.from_files(certs.certificate, certs.key, now, certs.server_cert)
    except (ConfigError, CertificateError) as error:
        raise ForwardingRefused(str(error)) from error
    except (OSError, ValueError) as error:
        raise ForwardingRefused(f"Cannot load the certificates: {error}") from error
    return config, signer, make_transport(config)


def make_transport(config: ApelConfig) -> Transport:
    if config.protocol == "AMS" and config.ams is not None:
        return AmsSender(config.ams)
    if config.stomp is None:
        raise ForwardingRefused("No [broker] settings for protocol STOMP")
    try:
        return StompSender(config.stomp, config.certificates)
    except TransportError as error:
        raise ForwardingRefused(str(error)) from error


def forward_once(
    max_batches: int | None = None,
    clock: Clock = _utcnow,
    wrap_transport: TransportWrapper | None = None,
    backoff: Backoff | None = None,
) -> PassResult:
    """Send what is due. `wrap_transport` lets tests put faults between us and the broker."""
    path = config_path()
    if path is None:
        return PassResult(enabled=False)
    now = clock()
    try:
        _, signer, transport = prepare(path, now)
    except ForwardingRefused as error:
        log.error("APEL forwarding refused: %s", error)
        _record(now, str(error))
        return PassResult(enabled=True, refused=str(error))
    if wrap_transport is not None:
        transport = wrap_transport(transport)
    # The row mark_sent counts into, there before any batch goes (and before any race).
    ApelForwarderState.objects.get_or_create(name="default")
    # A pass sends WINDOW batches before it awaits their receipts: cut that many at once.
    outbox = DjangoOutbox(cut_ahead=WINDOW)
    forwarder = Forwarder(outbox, transport, signer.seal, backoff or Backoff(), clock)
    try:
        report = forwarder.run_once(max_batches)
    finally:
        outbox.release()
    _record(now, report.failures[-1][1] if report.failures else "")
    return PassResult(enabled=True, report=report)


def _record(now: datetime, error: str) -> None:
    # Sent records and the last success are counted by DjangoOutbox.mark_sent, batch by
    # batch as the receipts come, not here at the end of a pass that may never get here.
    ApelForwarderState.objects.get_or_create(name="default")
    ApelForwarderState.objects.filter(name="default").update(
        last_run_at=now, last_error=error[:2000]
    )
