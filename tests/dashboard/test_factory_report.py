from __future__ import annotations

from tests.builders import factory_status
from vacmon.dashboard import factory_report
from vacmon.store.heartbeats import from_messages

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


def summary(found: list, limit: int = 100) -> factory_report.Summary:
    return factory_report.summarise(from_messages(found, 600), TIMES, limit)


def test_merging_the_summaries_of_two_parts_equals_summarising_the_whole():
    found = messages()
    whole = summary(found)
    assert factory_report.merge(summary(found[:7]), summary(found[7:])) == whole
    assert whole.ages["Factory"] == [1.0, 3.0, 1.0, 3.0, 1.0, 3.0]
    assert "MJF" not in whole.ages
    assert [v for v, _, _ in whole.versions["Daemon"]] == ["Vac 03.01", "Vac 03.02"]
    assert not whole.truncated and summary(found, 12).truncated


def test_a_heartbeat_newer_than_the_message_is_an_age_of_zero_not_a_negative_one():
    (m,) = [factory_status(received=T0, factory_heartbeat_time=T0 + 90)]
    assert summary([m]).ages["Factory"][0] == 0.0
