"""The Elasticsearch chart rollups on a real cluster: built by `maintain`, incrementally and
idempotently, and charting wide buckets exactly as the embedded store does on the same
messages (gaps, a sender that falls silent, a machinetype that changes VO, messages that
arrive while their bucket is open and ones that arrive after it was built)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine

from factories.messages import Message
from tests.builders import factory_status, machinetype_status
from vacmon.store import Scope
from vacmon.store.base import ChartQuery
from vacmon.store.embedded import EmbeddedStore, rollups
from vacmon.store.es import rollups as es_rollups
from vacmon.store.summed import RESOLUTIONS

pytestmark = [pytest.mark.elasticsearch, pytest.mark.django_db]

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
HOURS = 12
END = T0 + HOURS * 3600
STALE = 600
SITE = "ROLL-SITE"
SPACES = ("vac1.roll.example.org", "vac2.roll.example.org")


def fleet(since: int, until: int) -> list[Message]:
    """Two spaces of three factories with two machinetypes each, every 300 s: f2 is silent
    from 04:00 to 07:00 (a gap), f3 from 08:00 on (stale), and machinetype "b" of f1
    changes VO from atlas to cms at 06:00."""
    out = []
    for t in range(since, until, 300):
        hour = (t - T0) // 3600
        for s, space in enumerate(SPACES):
            for f in (1, 2, 3):
                if (f == 2 and 4 <= hour < 7) or (f == 3 and hour >= 8):
                    continue
                factory = f"f{f}.{space}"
                received = t + 13 * f + 7 * s
                running = 10 + f + s + hour % 5
                where = {"site": SITE, "space": space, "factory": factory}
                out.append(
                    factory_status(
                        received=received, running_processors=running, max_hs06=100.0 * f, **where
                    )
                )
                for mt in ("a", "b"):
                    vo = "lhcb" if mt == "a" else ("atlas" if hour < 6 or f != 1 else "cms")
                    out.append(
                        machinetype_status(
                            received=received, machinetype=mt, running_processors=running // 2,
                            running_hs06=running * 5.0, fqan=f"/{vo}/Role=NULL/Capability=NULL",
                            **where,
                        )
                    )  # fmt: skip
    return out


# (message type, metrics, group_by, scope)
CHARTS = [
    ("factory_status", ("running_processors", "max_hs06"), "site", Scope()),
    ("factory_status", ("running_processors",), "space", Scope(site=SITE)),
    ("factory_status", ("running_processors",), "factory", Scope(space=SPACES[0])),
    ("machinetype_status", ("running_processors", "running_hs06"), "vo", Scope()),
    ("machinetype_status", ("running_processors",), "machinetype", Scope(vo="atlas")),
    ("machinetype_status", ("running_processors",), "space", Scope(machinetype="b")),
    ("machinetype_status", ("running_hs06",), "factory", Scope(site=SITE)),
]
INTERVALS = (600, 900, 3600, 7200)


def charts(store: Any, since: int, until: int) -> dict[str, Any]:
    """Every chart of CHARTS at every interval, as the store draws it, values rounded (the
    embedded store sums in SQL, this one in Python: the last bits may differ)."""
    out = {}
    for kind, metrics, group_by, scope in CHARTS:
        for interval in INTERVALS:
            found = store.chart(
                ChartQuery(kind, metrics, group_by, since, until, interval, scope, STALE)
            )
            for metric in metrics:
                s = found[metric]
                values = {
                    g: [None if v is None else round(v, 6) for v in row]
                    for g, row in s.values.items()
                }
                out[f"{kind} {metric} by {group_by} {scope} every {interval}"] = (s.times, values)
    return out


def differences(one: dict[str, Any], other: dict[str, Any]) -> list[str]:
    return [key for key in one if one[key] != other.get(key)]


@pytest.fixture
def es(make_es_store) -> Any:
    return make_es_store(lifecycle="none")


@pytest.fixture
def written(es) -> Iterator[Callable[[list[Message], int], None]]:
    """Write messages to both stores as of wall-clock time `at`."""

    def write(messages: list[Message], at: int) -> None:
        with time_machine.travel(at, tick=False):
            EmbeddedStore().write(messages)
            es.write(messages)

    yield write


def built_buckets(es: Any) -> int:
    es.client.indices.refresh(index=es.rollups.index)
    answer = es.client.count(index=es.rollups.index, query={"term": {"kind": "sum"}})
    return int(answer.body["count"])


def test_wide_charts_from_the_rollups_equal_the_embedded_stores(es, written):
    written(fleet(T0, END), END)
    rollups.build(END)
    raw = charts(es, T0, END)

    es.maintain(END)

    assert built_buckets(es) > 0
    assert es.rollups.marks((900,)) == {900: es_rollups.settled_until(END, 900)}
    embedded = charts(EmbeddedStore(), T0, END)
    assert differences(embedded, charts(es, T0, END)) == []
    assert differences(embedded, raw) == []


def test_maintenance_resumes_from_its_watermarks_and_a_second_run_changes_nothing(
    es, written, make_es_store
):
    middle = T0 + 6 * 3600
    written(fleet(T0, middle), middle)
    es.maintain(middle)
    first_marks = es.rollups.marks(RESOLUTIONS)
    written(fleet(middle, END), END)

    es.maintain(END)
    marks, count = es.rollups.marks(RESOLUTIONS), built_buckets(es)
    # A restarted process (a new store on the same prefix) finds the same watermarks.
    again = make_es_store(prefix=es.prefix, lifecycle="none")
    again.maintain(END)

    assert first_marks[600] == es_rollups.settled_until(middle, 600)
    assert marks[600] == es_rollups.settled_until(END, 600)
    assert again.rollups.marks(RESOLUTIONS) == marks
    assert built_buckets(again) == count
    rollups.build(END)
    assert differences(charts(EmbeddedStore(), T0, END), charts(again, T0, END)) == []


def test_messages_received_while_their_bucket_is_open_are_in_it_once_it_is_built(es, written):
    written(fleet(T0, END - 900), END - 900)
    es.maintain(END - 900)
    # The last quarter hour arrives on time, after the build that left it open.
    written(fleet(END - 900, END), END)
    later = END + 3600

    before_build = charts(es, T0, END)
    es.maintain(later)

    rollups.build(later)
    embedded = charts(EmbeddedStore(), T0, END)
    assert es.rollups.marks((900,))[900] > END - 900
    assert differences(embedded, charts(es, T0, END)) == []
    assert differences(embedded, before_build) == []


def test_a_message_received_late_into_a_built_bucket_is_charted_after_the_next_maintenance(
    es, written
):
    written(fleet(T0, END), END)
    es.maintain(END)
    late = factory_status(
        received=T0 + 3600 + 5, site=SITE, space=SPACES[1], factory="late.roll.example.org",
        running_processors=1000,
    )  # fmt: skip
    # Sent from a spool after an outage, say: long after it was received.
    written([late], END + 60)
    stale_view = charts(es, T0, END)

    es.maintain(END + 60 + es_rollups.MARKER_SETTLE_SECONDS)

    rollups.build(END)  # built after the message arrived: the embedded store has it
    embedded_raw = charts(EmbeddedStore(), T0, END)
    key = f"factory_status running_processors by site {Scope()} every 3600"
    assert differences(embedded_raw, charts(es, T0, END)) == []
    assert stale_view[key] != charts(es, T0, END)[key]  # it was missing before the rebuild
    es.client.indices.refresh(index=es.rollups.index)  # the markers' deletes
    markers = es.client.count(index=es.rollups.index, query={"term": {"kind": "dirty"}})
    assert markers.body["count"] == 0


def test_a_marker_set_moments_ago_waits_for_its_write_to_finish(es, written):
    written(fleet(T0, END), END)
    es.maintain(END)
    late = factory_status(received=T0 + 5, site=SITE, space=SPACES[0], factory="x.example.org")

    written([late], END + 60)
    es.maintain(END + 61)

    marker = es.client.get(index=es.rollups.index, id=es_rollups.marker_id(T0))
    assert marker.body["_source"] == {"kind": "dirty", "since": T0, "written": END + 60}
    hourly = charts(es, T0, END)[f"factory_status running_processors by site {Scope()} every 3600"]
    es.maintain(END + 60 + es_rollups.MARKER_SETTLE_SECONDS)
    assert (
        charts(es, T0, END)[f"factory_status running_processors by site {Scope()} every 3600"]
        != hourly
    )


def test_the_periodic_maintenance_task_builds_the_elasticsearch_rollups(es, settings):
    import time

    from vacmon import tasks
    from vacmon.store import get_store, reset_store

    settings.ELASTICSEARCH_URL = es.settings.url
    settings.ELASTICSEARCH_PREFIX = es.prefix
    settings.ELASTICSEARCH_LIFECYCLE = "none"
    reset_store()
    now = int(time.time())
    start = now - now % 3600 - 3 * 3600
    es.write([factory_status(received=t, site=SITE) for t in range(start, start + 7200, 300)])
    try:
        tasks.maintain_store()
        built = get_store().rollups.marks((3600,))  # type: ignore[attr-defined]
    finally:
        reset_store()

    assert built[3600] >= start + 7200
    assert built_buckets(es) >= 2
