"""Machine outcomes on a real cluster, read by aggregation: each once however many messages
repeat it, newest shutdown first, cut at the limit, and equal to the embedded store's."""

from __future__ import annotations

from typing import Any

import pytest

from factories.messages import Message
from tests.builders import machinetype_status
from vacmon.store import Scope
from vacmon.store.embedded import EmbeddedStore

pytestmark = [pytest.mark.elasticsearch, pytest.mark.django_db]

T0 = 1_767_225_600
SITE = "OUTCOME-SITE"


def reports(hours: int) -> list[Message]:
    """Two factories x two machinetypes reporting every 300 s; each machinetype's machine
    finishes every 40 minutes and is named by every report until the next one."""
    out = []
    for t in range(T0, T0 + hours * 3600, 300):
        for f in (1, 2):
            for k, mt in enumerate(("a", "b")):
                finished = (t - T0 - 600 * k) // 2400 * 2400 + T0 + 600 * k
                if finished > t or finished <= T0:
                    continue
                out.append(
                    machinetype_status(
                        received=t + f, site=SITE, space="vac.outcome.example.org",
                        factory=f"f{f}.outcome.example.org", machinetype=mt,
                        fqan=f"/{mt}vo/Role=NULL/Capability=NULL",
                        shutdown_machine=f"m{f}{k}-{finished}.example.org",
                        shutdown_time=finished,
                        shutdown_message="200 Success" if finished % 3 else "300 Nothing to do",
                    )
                )  # fmt: skip
    return out


@pytest.fixture
def both(make_es_store) -> tuple[Any, EmbeddedStore]:
    messages = reports(12)
    es = make_es_store(lifecycle="none")
    es.write(messages)
    embedded = EmbeddedStore()
    embedded.write(messages)
    return es, embedded


def test_each_outcome_is_found_once_and_equal_to_the_embedded_stores(both):
    es, embedded = both
    since, until = T0, T0 + 12 * 3600

    found = es.shutdowns(since=since, until=until)

    assert len(found) == len({s.key for s in found}) > 20
    assert found == embedded.shutdowns(since=since, until=until)
    assert [s.time for s in found] == sorted((s.time for s in found), reverse=True)


@pytest.mark.parametrize("limit", [1, 3, 7, 10])
def test_the_newest_outcomes_up_to_the_limit_come_back(both, limit):
    es, embedded = both
    since, until = T0, T0 + 12 * 3600

    found = es.shutdowns(since=since, until=until, limit=limit)

    assert found == embedded.shutdowns(since=since, until=until, limit=limit)
    assert len(found) == limit


def test_outcomes_are_narrowed_by_scope_and_shutdown_time(both):
    es, embedded = both
    scope = Scope(factory="f2.outcome.example.org", vo="bvo")
    since, until = T0 + 3 * 3600, T0 + 6 * 3600

    found = es.shutdowns(since=since, until=until, scope=scope)

    assert found and all(s.machinetype == "b" and since <= s.time <= until for s in found)
    assert found == embedded.shutdowns(since=since, until=until, scope=scope)


def test_no_limit_is_no_outcome(both):
    es, _ = both
    assert es.shutdowns(since=T0, until=T0 + 12 * 3600, limit=0) == []
