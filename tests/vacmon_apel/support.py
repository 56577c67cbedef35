"""Builders shared by the accounting tests: job messages relative to now, uploads through
the endpoint, and an ssmsend-style config file for the forwarder."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.test import Client

from apel.parse import parse_message
from apel.records import Record
from apel.smime import inner_text, verify_with_openssl
from tests.apel.broker_support import Received
from tests.apel.helpers import Pki, job_fields, message

UPLOAD_URL = "/api/v1/apel/messages"
STATUS_URL = "/api/v1/apel/status"


# One end time for the whole run: a record built twice must be the same record, even when
# a second boundary falls between the two builds (the natural key includes EndTime).
AN_HOUR_AGO = int(time.time()) - 3600


def job(index: int, end: int | None = None, **changes: str | None) -> dict[str, str]:
    """A Vac job record that ended about an hour ago (or at `end`), unique by `index`."""
    end = end if end is not None else AN_HOUR_AGO
    changes.setdefault("LocalJobId", f"job-{index:07d}")
    return job_fields(EndTime=str(end), StartTime=str(end - 86355), **changes)


def jobs_message(count: int, start: int = 0, end: int | None = None, **changes: str) -> str:
    return message(*(job(i, end, **changes) for i in range(start, start + count)))


def upload(client: Client, text: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = client.post(UPLOAD_URL, data=text, content_type="text/plain", **headers)
    return response.status_code, json.loads(response.content)


def write_config(
    directory: Path,
    pki: Pki,
    queue: str,
    *ports: int,
    encrypt: bool = False,
    cert_file: Path | None = None,
) -> Path:
    """An INI file as an APEL admin writes it for ssmsend, pointed at local brokers."""
    hosts = ", ".join(f"127.0.0.1:{port}" for port in ports or (61613,))
    server = f"server_cert: {pki.server_cert_file}\n" if encrypt else ""
    path = directory / "sender.cfg"
    path.write_text(
        "[sender]\nprotocol: STOMP\n"
        f"[broker]\nhost: {hosts}\nuse_ssl: false\nusername: guest\npassword: guest\n"
        f"[certificates]\ncertificate: {cert_file or pki.cert_file}\nkey: {pki.key_file}\n"
        f"capath: {pki.ca_file}\n{server}"
        f"[messaging]\ndestination: /queue/{queue}\n"
    )
    return path


def upload_jobs(count: int) -> list[Record]:
    """Upload through the endpoint; return the records it accepted, as parsed."""
    accepted: list[Record] = []
    for start in range(0, count, 1000):
        text = jobs_message(min(1000, count - start), start)
        status, body = upload(Client(), text)
        assert status == 202 and body["accepted"] == min(1000, count - start)
        accepted += parse_message(text, datetime.now(UTC)).records
    return accepted


def opened(message: Received, pki: Pki) -> list[Record]:
    body = inner_text(verify_with_openssl(message.body, pki.ca_file))
    return parse_message(body, datetime.now(UTC)).records
