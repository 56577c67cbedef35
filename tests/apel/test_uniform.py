"""The whole-message path for uniform job messages never changes a verdict: it either
returns exactly the records the record-by-record parser returns, or steps aside."""

from __future__ import annotations

import random

import pytest

from apel.fields import JOB
from apel.parse import parse_each
from apel.records import ParseResult
from apel.uniform import uniform_jobs
from tests.apel.helpers import NOW, job_fields, message

EPOCH = int(NOW.timestamp())


def both_ways(text: str) -> tuple[list[object] | None, ParseResult]:
    rest = text.strip().partition("\n")[2]
    careful = ParseResult(header=JOB.header, kind=JOB.kind)
    parse_each(careful, rest, JOB, EPOCH, 2)
    uniform = uniform_jobs(JOB.header, rest, JOB, EPOCH)
    return (None if uniform is None else uniform.records()), careful


def many(count: int, **changes: str | None) -> list[dict[str, str]]:
    return [job_fields(LocalJobId=f"job-{i}", **changes) for i in range(count)]


def test_a_uniform_message_is_read_whole_with_the_same_records() -> None:
    uniform, careful = both_ways(message(*many(50)))
    assert uniform is not None and careful.ok
    assert uniform == careful.records
    assert [r.canonical_text for r in uniform] == [r.canonical_text for r in careful.records]


# Each turns one record of fifty into something the whole-message path must not judge.
SPOILERS = {
    "leading zero": lambda t: t.replace("WallDuration: 86355", "WallDuration: 086355", 1),
    "plus sign": lambda t: t.replace("CpuDuration: ", "CpuDuration: +", 1),
    "tab": lambda t: t.replace("Queue: ", "Queue:\t", 1),
    "null": lambda t: t.replace("Queue: atlas", "Queue: NULL", 1),
    "none": lambda t: t.replace("Queue: atlas", "Queue: none", 1),
    "mixed-case null": lambda t: t.replace("Queue: atlas", "Queue: nUlL", 1),
    "empty value": lambda t: t.replace("Queue: atlas", "Queue: ", 1),
    "no space": lambda t: t.replace("Queue: ", "Queue:", 1),
    "unknown key": lambda t: t.replace("Queue: ", "Colour: ", 1),
    "blank line": lambda t: t.replace("\nQueue: ", "\n\nQueue: ", 1),
    "comment": lambda t: t.replace("\nQueue: ", "\n# hi\nQueue: ", 1),
    "control char": lambda t: t.replace("Queue: atlas", "Queue: at\x0blas", 1),
    "non-ascii": lambda t: t.replace("Queue: atlas", "Queue: atlás", 1),
    "percent marker": lambda t: t.replace("LocalJobId: job-3\n", "LocalJobId: job%%3\n", 1),
    "end before start": lambda t: t.replace("EndTime: 1795686355", "EndTime: 1000", 1),
    "far future": lambda t: t.replace("EndTime: 1795686355", "EndTime: 4102444800", 1),
    "huge duration": lambda t: t.replace("WallDuration: 86355", "WallDuration: 2147483648", 1),
    "negative duration": lambda t: t.replace("CpuDuration: ", "CpuDuration: -", 1),
    "bad unit": lambda t: t.replace("ServiceLevelType: HEPSPEC", "ServiceLevelType: HS06", 1),
    "float form": lambda t: t.replace("ServiceLevel: 12.5", "ServiceLevel: 12.50", 1),
    "nan": lambda t: t.replace("ServiceLevel: 12.5", "ServiceLevel: nan", 1),
    "huge level": lambda t: t.replace("ServiceLevel: 12.5", "ServiceLevel: 1e9", 1),
    "iso time": lambda t: t.replace("StartTime: ", "StartTime: x", 1),
    "repeated key": lambda t: t.replace("Queue: atlas\n", "Queue: atlas\nQueue: lhcb\n", 1),
    "missing key": lambda t: t.replace("Queue: atlas\n", "", 1),
    "trailing blank": lambda t: t.replace("Queue: atlas\n", "Queue: atlas \n", 1),
    "queue too long": lambda t: t.replace("Queue: atlas", "Queue: " + "a" * 101, 1),
    "job id too long": lambda t: t.replace("LocalJobId: job-3\n", f"LocalJobId: {'j' * 256}\n", 1),
}


@pytest.mark.parametrize("spoiler", sorted(SPOILERS))
def test_a_message_with_one_odd_record_is_left_to_the_careful_parser(spoiler: str) -> None:
    text = message(*many(50))
    where = text.index("LocalJobId: job-3\n")
    spoilt = text[:where] + SPOILERS[spoiler](text[where:])
    assert spoilt != text
    uniform, careful = both_ways(spoilt)
    # Either the whole-message path steps aside, or it agrees record for record.
    assert uniform is None or (careful.ok and uniform == careful.records)


def test_random_damage_never_gets_a_different_verdict() -> None:
    rng = random.Random(15)
    text = message(*many(20))
    for _ in range(400):
        spoilt = list(text)
        for _ in range(rng.randint(1, 3)):
            spoilt[rng.randrange(len(spoilt))] = rng.choice("0 :\n%\t-x9.Z")
        uniform, careful = both_ways("".join(spoilt))
        assert uniform is None or (careful.ok and uniform == careful.records)
