from __future__ import annotations

import pytest

from apel.builder import (
    MAX_BODY_BYTES,
    MAX_RECORDS_PER_MESSAGE,
    BuildError,
    build_messages,
    serialise_record,
)
from apel.fields import RecordKind
from apel.parse import parse_message
from apel.records import Record
from tests.apel.helpers import NOW, job_fields, many_jobs, message


def test_it_writes_messages_the_parser_reads_back_identically() -> None:
    records = parse_message(many_jobs(5), NOW).records
    (built,) = build_messages(records)
    assert built.header == "APEL-individual-job-message: v0.3"
    assert built.body.endswith("%%\n")
    assert parse_message(built.body, NOW).records == records


def test_irregular_whitespace_reads_the_same_as_the_canonical_layout() -> None:
    canonical = message(job_fields())
    untidy = canonical.replace("Site: ", "Site :\t ").replace("Queue: atlas", "Queue:atlas  ")
    assert parse_message(untidy, NOW).records == parse_message(canonical, NOW).records


def test_it_puts_at_most_1000_records_in_a_message() -> None:
    records = parse_message(many_jobs(2500), NOW).records
    messages = build_messages(records)
    assert [m.record_count for m in messages] == [1000, 1000, 500]
    assert all(m.record_count <= MAX_RECORDS_PER_MESSAGE for m in messages)
    assert sum(len(parse_message(m.body, NOW).records) for m in messages) == 2500


def test_it_keeps_each_message_under_the_byte_limit() -> None:
    records = parse_message(many_jobs(300), NOW).records
    limit = 50_000
    messages = build_messages(records, max_bytes=limit)
    assert len(messages) > 1
    assert all(len(m.body.encode("ascii")) <= limit for m in messages)
    assert sum(m.record_count for m in messages) == 300
    assert MAX_BODY_BYTES < 1_000_000


def test_it_writes_no_blank_or_comment_lines() -> None:
    (built,) = build_messages(parse_message(many_jobs(3), NOW).records)
    lines = built.body.splitlines()
    assert all(line.strip() and not line.startswith("#") for line in lines)


def test_it_keeps_records_of_different_types_in_different_messages() -> None:
    jobs = parse_message(many_jobs(2), NOW).records
    sync = Record(RecordKind.SYNC, {"Site": "S", "NumberOfJobs": 2, "Month": 11, "Year": 2026})
    messages = build_messages([jobs[0], sync, jobs[1]])
    assert [(m.header, m.record_count) for m in messages] == [
        ("APEL-individual-job-message: v0.3", 2),
        ("APEL-sync-message: v0.1", 1),
    ]


@pytest.mark.parametrize("value", ["a%%b", "two\nlines", "caf\u00e9"])
def test_it_refuses_values_the_loader_would_misread(value: str) -> None:
    record = Record(RecordKind.SYNC, {"Site": value, "NumberOfJobs": 1, "Month": 1, "Year": 2026})
    with pytest.raises(BuildError):
        serialise_record(record)


def test_it_refuses_fields_that_do_not_belong_to_the_record_type() -> None:
    record = Record(RecordKind.SYNC, {"Site": "S", "Colour": "blue"})
    with pytest.raises(BuildError, match="Colour"):
        build_messages([record])


def test_it_rewrites_values_in_the_canonical_form() -> None:
    text = message(job_fields(WallDuration="0086355", ServiceLevel="12", StartTime="+1795600000"))
    (built,) = build_messages(parse_message(text, NOW).records)
    assert "WallDuration: 86355\n" in built.body
    assert "ServiceLevel: 12.0\n" in built.body
    assert "StartTime: 1795600000\n" in built.body


def test_a_canonical_record_is_written_back_byte_for_byte() -> None:
    text = many_jobs(2)
    (built,) = build_messages(parse_message(text, NOW).records)
    assert built.body == text
