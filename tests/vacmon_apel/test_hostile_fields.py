"""Every field of an uploaded APEL job, summary or sync record, given a hostile value,
is kept or refused with a reason: never a server error, on either database. VacMon's
varchar, smallint, bigint and positive columns each once turned one into a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.apel.helpers import job_fields, message
from tests.apel.test_parse import SUMMARY, SUMMARY_HEADER
from tests.vacmon_apel.support import upload

pytestmark = pytest.mark.django_db
SYNC = {"Site": "S", "SubmitHost": "h", "NumberOfJobs": "1", "Month": "10", "Year": "2026"}
KINDS = {
    "job": (job_fields(), "APEL-individual-job-message: v0.3"),
    "summary": (SUMMARY, SUMMARY_HEADER),
    "sync": (SYNC, "APEL-sync-message: v0.1"),
}
HOSTILE = [
    "x" * 300,
    "0",
    "-1",
    "-99999",
    "32768",
    "2147483648",
    "9223372036854775808",
    "9" * 25,
    "-" + "9" * 25,
    "1e400",
    "nan",
    "-inf",
]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_hostile_value_in_any_field_is_kept_or_refused_never_a_server_error(kind: str) -> None:
    fields, header = KINDS[kind]
    for name in fields:
        for value in HOSTILE:
            status, body = upload(Client(), message({**fields, name: value}, header=header))
            assert status in (202, 400), (name, value[:20], status, body)
            kept = body["accepted"] + body["duplicates"]
            assert kept + body["rejected"] == 1, (name, value[:20], body)
