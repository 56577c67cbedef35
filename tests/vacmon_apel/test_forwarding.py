"""A forwarding pass: off without a config, refused on bad credentials, as ssmsend starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from apel.config import ConfigError, load_config
from tests.apel.helpers import Pki, issue, write_pem
from tests.vacmon_apel.support import jobs_message, upload, write_config
from vacmon.apel import forwarding
from vacmon.apel.selectors import status
from vacmon.models import ApelBatch

pytestmark = pytest.mark.django_db


def test_forwarding_is_off_while_the_config_setting_is_empty(settings) -> None:
    settings.VACMON_APEL_CONFIG = ""
    upload(Client(), jobs_message(3))
    assert forwarding.forward_once() == forwarding.PassResult(enabled=False)
    assert not ApelBatch.objects.exists()
    assert status(datetime.now(UTC))["outbox"]["records"] == 3


def test_a_host_certificate_expiring_within_a_day_refuses_the_pass(
    settings, tmp_path: Path, pki: Pki
) -> None:
    cert, key = issue("short.example.org", not_after=datetime.now(UTC) + timedelta(hours=20))
    write_pem(tmp_path / "short.pem", cert, key)
    path = write_config(tmp_path, pki, "never", cert_file=tmp_path / "short.pem")
    path.write_text(path.read_text().replace(str(pki.key_file), str(tmp_path / "short.key")))
    settings.VACMON_APEL_CONFIG = str(path)
    upload(Client(), jobs_message(3))

    result = forwarding.forward_once()
    assert result.enabled and result.report is None
    assert result.refused is not None and "within 24 hours" in result.refused
    assert not ApelBatch.objects.exists()  # nothing was even claimed
    shown = status(datetime.now(UTC))
    assert "within 24 hours" in shown["last_run_error"]
    assert shown["outbox"]["records"] == 3

    with pytest.raises(CommandError, match="within 24 hours"):
        call_command("forward_apel", "--no-summaries")


def test_a_key_that_does_not_match_the_certificate_refuses_the_pass(
    settings, tmp_path: Path, pki: Pki
) -> None:
    path = write_config(tmp_path, pki, "never")
    path.write_text(path.read_text().replace(str(pki.key_file), str(pki.server_key_file)))
    settings.VACMON_APEL_CONFIG = str(path)
    result = forwarding.forward_once()
    assert result.refused == "The certificate and the private key do not match"


def test_a_broken_config_file_is_reported_not_raised(settings, tmp_path: Path) -> None:
    path = tmp_path / "sender.cfg"
    path.write_text("[broker]\nhost: mq.example.org\n")
    settings.VACMON_APEL_CONFIG = str(path)
    with pytest.raises(ConfigError):
        load_config(path)
    result = forwarding.forward_once()
    assert result.refused == "[certificates] certificate is required"


def test_the_command_says_when_forwarding_is_off(settings, capsys) -> None:
    settings.VACMON_APEL_CONFIG = ""
    call_command("forward_apel")
    out = capsys.readouterr().out
    assert "summaries: 0 site-month(s) rebuilt" in out
    assert "forwarding is off" in out


class AcknowledgesThenDies:
    """A broker that acknowledges every send; the pass dies after the n-th receipt was
    booked (mark_sent ran), before the pass itself ends and writes its summary."""

    def __init__(self, dies_on: int) -> None:
        self.dies_on = dies_on
        self.sends = 0

    def wrap(self, inner: object) -> AcknowledgesThenDies:
        return self

    def send(self, message_id: str, body: str) -> None:
        self.sends += 1
        if self.sends == self.dies_on:
            raise SystemExit("killed during the pass")

    def close(self) -> None:
        pass


def test_sent_records_are_counted_per_acknowledged_batch_even_when_the_pass_dies(
    settings, tmp_path: Path, pki: Pki
) -> None:
    settings.VACMON_APEL_CONFIG = str(write_config(tmp_path, pki, "never"))
    upload(Client(), jobs_message(2500))
    with pytest.raises(SystemExit):
        forwarding.forward_once(wrap_transport=AcknowledgesThenDies(dies_on=3).wrap)
    # Two batches were acknowledged and booked before the pass died in the third.
    assert status(datetime.now(UTC))["sent_records_total"] == 2000
    result = forwarding.forward_once(
        clock=lambda: datetime.now(UTC) + timedelta(minutes=6),
        wrap_transport=AcknowledgesThenDies(dies_on=0).wrap,
    )
    assert result.report is not None and result.report.sent_records == 500
    assert status(datetime.now(UTC))["sent_records_total"] == 2500
