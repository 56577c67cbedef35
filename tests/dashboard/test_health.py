from __future__ import annotations

from tests.builders import factory_status
from vacmon.dashboard import health

T0 = 1_700_000_000 - 1_700_000_000 % 3600
TIMES = [T0 + 600 * i for i in range(6)]


def messages() -> list:
    return [
        factory_status(
            received=T0 + 300 * i,
            factory_heartbeat_time=T0 + 300 * i - 60 * (i % 4),
            mjf_heartbeat_time=0,  # unknown on the wire
            daemon_version="Vac 03.01" if i < 5 else "Vac 03.02",
        )
        for i in range(12)
    ]


def test_merging_the_summaries_of_two_parts_equals_summarising_the_whole():
    found = messages()
    whole = health.summarise(found, TIMES, 600, 100)
    parts = health.merge(
        health.summarise(found[:7], TIMES, 600, 100),
        health.summarise(found[7:], TIMES, 600, 100),
    )
    assert parts == whole
    assert whole.ages["Factory"] == [1.0, 3.0, 1.0, 3.0, 1.0, 3.0]
    assert "MJF" not in whole.ages
    assert [v for v, _, _ in whole.versions["Daemon"]] == ["Vac 03.01", "Vac 03.02"]
    assert not whole.truncated and health.summarise(found, TIMES, 600, 12).truncated
