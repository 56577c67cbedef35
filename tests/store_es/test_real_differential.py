"""Differential test: the same messages in the embedded store and in a real Elasticsearch,
and every reader asked the same questions of both. The answers must be equal; the only
differences allowed are the ones docs/elasticsearch.md lists ("Differences between the
backends"), and each is named where it is allowed below.

The messages are a simulated day of the factory simulator's fleet (stale factories among
them) and hand-made edge cases: a factory with a six-hour gap, one that falls silent early,
and a machinetype whose VO changes halfway through the day.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.core.cache import cache

from factories.messages import Message, normalise
from factories.simulate import Fleet
from tests.builders import factory_status, machinetype_status
from tests.store_es.live import unique_prefix
from vacmon.models.publisher import CrrTarget, PublishedDocument
from vacmon.probes import inputs as probe_inputs
from vacmon.probes.targets import TargetRef, discover
from vacmon.publisher import services as crr
from vacmon.store import get_store, reset_store
from vacmon.store.embedded import EmbeddedStore, rollups

pytestmark = [pytest.mark.elasticsearch, pytest.mark.django_db]

if not os.environ.get("ELASTICSEARCH_URL"):
    pytest.skip(
        "SKIPPED LOUDLY: ELASTICSEARCH_URL is not set, so the two backends were not compared",
        allow_module_level=True,
    )
DAY = 86400
START = 1_767_225_600  # 2026-01-01T00:00:00Z
NOW = START + DAY
EDGE_SITE, EDGE_SPACE = "EDGE-SITE", "vac.edge.example.org"
GROUPS_MT = ("site", "space", "factory", "machinetype", "vo")
# Chart buckets narrower than the staleness window (VACMON_STALE_SECONDS, 600) carry
# senders forward; wide ones sum per group without carrying: both backends alike.
NARROW = (60, 300)
WIDE = (600, 900, 3600)


def fleet_day() -> list[Message]:
    fleet = Fleet(
        seed=16, sites=2, factories=2, machinetypes=2, cycle_seconds=300, start=START,
        stale_share=0.3, stale_within=DAY,
    )  # fmt: skip
    return [normalise(m, received=int(m["time_sent"]) + 1) for m in fleet.stream(until=NOW)]


def edge_cases() -> list[Message]:
    where = {"site": EDGE_SITE, "space": EDGE_SPACE}
    out = []
    for t in range(START, NOW, 300):
        hour = (t - START) // 3600
        if not 8 <= hour < 14:  # a six-hour gap in the middle of the day
            out.append(factory_status(received=t, factory="gap.edge.example.org", **where))
        if hour < 3:  # silent from 03:00 on: stale by the end of the day
            out.append(factory_status(received=t, factory="stale.edge.example.org", **where))
        vo = "lhcb" if hour < 12 else "atlas"  # the machinetype changes VO at noon
        out.append(
            machinetype_status(
                received=t, factory="gap.edge.example.org", machinetype="mixed", **where,
                fqan=f"/{vo}/Role=NULL/Capability=NULL",
            )
        )  # fmt: skip
    return out


@pytest.fixture
def both_stores(make_es_store, settings) -> Iterator[Callable[[str], None]]:
    """Fill both backends once; `use(name)` points every reader at one of them."""
    messages = fleet_day() + edge_cases()
    EmbeddedStore().write(messages)
    rollups.build(NOW)
    prefix = unique_prefix()
    es = make_es_store(prefix=prefix, lifecycle="none")
    es.write(messages)
    assert not es.spool.pending()

    def use(name: str) -> None:
        settings.ELASTICSEARCH_URL = es.settings.url if name == "elasticsearch" else ""
        settings.ELASTICSEARCH_PREFIX = prefix
        settings.ELASTICSEARCH_LIFECYCLE = "none"
        reset_store()
        cache.clear()

    with time_machine.travel(NOW, tick=False):
        yield use
    reset_store()


def sites_and_spaces(messages: list[Message]) -> set[tuple[str, str]]:
    return {(m.site, m.space) for m in messages}


SERIES = [
    ("factory_status", "running_processors"),
    ("factory_status", "max_hs06"),
    ("machinetype_status", "running_processors"),
    ("machinetype_status", "running_hs06"),
]
GROUPS = {"factory_status": ("site", "space", "factory"), "machinetype_status": GROUPS_MT}


def series_urls(intervals: tuple[int, ...]) -> list[str]:
    return [
        f"/api/v1/series/?type={kind}&metric={metric}&group_by={group}"
        f"&from={START}&to={NOW}&interval={interval}"
        for kind, metric in SERIES
        for group in GROUPS[kind]
        for interval in intervals
    ]


def api_urls() -> list[str]:
    """Every read API answer; the series of wide buckets are compared (rounded) below."""
    day = f"from={START}&to={NOW}"
    urls = ["sites/", "spaces/", "factories/", "machinetypes/", f"machines/?{day}"]
    for site, space in sorted(sites_and_spaces(fleet_day() + edge_cases())):
        urls += [f"sites/{site}/", f"sites/{site}/spaces/{space}/"]
    urls.append(f"factories/{EDGE_SITE}/{EDGE_SPACE}/gap.edge.example.org/?{day}")
    return [f"/api/v1/{url}" for url in urls] + series_urls(NARROW)


def page_urls() -> list[str]:
    pages = ["/", "/vos/", "/vos/atlas/", "/machines/"]
    for site, space in sorted(sites_and_spaces(fleet_day() + edge_cases())):
        pages += [f"/sites/{site}/", f"/sites/{site}/{space}/"]
    pages.append(f"/sites/{EDGE_SITE}/{EDGE_SPACE}/gap.edge.example.org/")
    # The hour range charts narrow buckets (carried), the day range wide ones (summed).
    return [f"{page}?range={r}" for r in ("hour", "day") for page in pages]


def answers(client, urls: list[str]) -> dict[str, tuple[int, Any]]:
    out = {}
    for url in urls:
        response = client.get(url)
        body = response.json() if "json" in response["Content-Type"] else response.content
        out[url] = (response.status_code, comparable(url, body))
    return out


def comparable(url: str, body: Any) -> Any:
    """The answer with the documented differences taken out (docs/elasticsearch.md,
    "Differences between the backends"):

    * messages received in the same second are listed in arrival order by the embedded
      store and in document-id order by Elasticsearch: lists of machines are compared in a
      canonical order (the machines page as its sorted lines);
    * sums may differ in the last bits (summed in SQL or in Python): the series a site or
      space answer embeds are compared to 6 decimals.
    """
    if "/machines/" in url and isinstance(body, list):
        return sorted(body, key=lambda m: (-m["time_sent"], m["machine"]))
    if url.startswith("/machines/"):
        return sorted(body.splitlines())
    if isinstance(body, dict) and "series" in body and "/api/v1/sites/" in url:
        return {**body, "series": {m: _rounded_series(s) for m, s in body["series"].items()}}
    return body


def _rounded_series(series: dict[str, Any]) -> dict[str, Any]:
    rows = series["values"]
    kept = {g: [None if v is None else round(v, 6) for v in row] for g, row in rows.items()}
    return {**series, "values": kept}


def differences(one: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """The keys whose answers differ, each with where they first differ, for the message."""
    out = []
    for key in one:
        a, b = one[key], other.get(key)
        if a == b:
            continue
        where = ""
        if isinstance(a, tuple) and isinstance(b, tuple) and isinstance(a[1], list):
            pairs = enumerate(zip(a[1], b[1], strict=False))
            first = next((i for i, (x, y) in pairs if x != y), None)
            where = f" (lengths {len(a[1])}/{len(b[1])}, first difference at {first})"
            if first is not None:
                where += f": {str(a[1][first])[:300]} != {str(b[1][first])[:300]}"
        out.append(f"{key}{where}")
    return out


def test_every_read_api_answer_is_equal_on_both_backends(both_stores, client):
    urls = api_urls()
    both_stores("embedded")
    embedded = answers(client, urls)
    both_stores("elasticsearch")
    elasticsearch = answers(client, urls)

    assert {u: s for u, (s, _) in embedded.items()} == dict.fromkeys(urls, 200)
    assert differences(embedded, elasticsearch) == []


def rounded(answers: dict[str, tuple[int, Any]]) -> dict[str, tuple[int, Any]]:
    """Values to 6 decimals: the embedded store sums in SQL, Elasticsearch in Python, so
    the sums may differ in the last bits."""

    def values(body: dict[str, Any]) -> dict[str, Any]:
        kept = {
            g: [None if v is None else round(v, 6) for v in row]
            for g, row in body["values"].items()
        }
        return {**body, "values": kept}

    return {url: (status, values(body)) for url, (status, body) in answers.items()}


def test_wide_chart_buckets_are_equal_on_both_backends_from_raw_messages_and_from_rollups(
    both_stores, client
):
    urls = series_urls(WIDE)
    both_stores("embedded")
    embedded = answers(client, urls)
    both_stores("elasticsearch")
    from_raw = answers(client, urls)
    get_store().maintain(NOW)  # type: ignore[attr-defined]
    cache.clear()
    from_rollups = answers(client, urls)

    assert get_store().rollups.marks((900,)) == {900: NOW - 900}  # type: ignore[attr-defined]
    assert differences(rounded(embedded), rounded(from_raw)) == []
    assert differences(rounded(embedded), rounded(from_rollups)) == []
    # Nothing is carried into a silent sender's buckets at these widths: its gap (08:00
    # to 14:00) starts in the first bucket after its last report.
    hourly = next(u for u in urls if "group_by=factory" in u and "interval=3600" in u)
    gap = from_rollups[hourly][1]["values"]["gap.edge.example.org"]
    assert gap[7] is not None and gap[8:14] == [None] * 6


def test_every_dashboard_page_is_equal_on_both_backends(both_stores, client):
    urls = page_urls()
    both_stores("embedded")
    embedded = answers(client, urls)
    both_stores("elasticsearch")
    elasticsearch = answers(client, urls)

    assert {u: s for u, (s, _) in embedded.items()} == dict.fromkeys(urls, 200)
    assert differences(embedded, elasticsearch) == []


def published(client) -> dict[str, Any]:
    crr.publish_all(now=NOW)
    out = {}
    for target in CrrTarget.objects.order_by("site", "space"):
        path = f"/crr/{target.site}/crr.json"
        if target.space != "__site__":
            path = f"/crr/{target.site}/{target.space}/crr.json"
        response = client.get(path)
        out[path] = (response.status_code, response.content)
    # The next backend must publish from nothing, not find its documents unchanged.
    PublishedDocument.objects.all().delete()
    CrrTarget.objects.all().delete()
    return out


def test_every_crr_document_is_equal_on_both_backends(both_stores, client):
    both_stores("embedded")
    embedded = published(client)
    both_stores("elasticsearch")
    elasticsearch = published(client)

    assert len(embedded) == len(sites_and_spaces(fleet_day() + edge_cases())) + 3
    assert elasticsearch == embedded


def probe_answers() -> dict[str, Any]:
    seen = discover(NOW)
    out: dict[str, Any] = {"discover": dataclasses.asdict(seen)}
    for factory, (_site, flavour) in sorted(seen.factories.items()):
        ref = TargetRef(definition_id=1, kind="factory", hostname=factory, flavour=flavour)
        out[f"factory {factory}"] = probe_inputs.factory_input(ref, NOW)
        out[f"version {factory}"] = probe_inputs.version_input(ref, NOW, {})
    for space, (site, flavour) in sorted(seen.spaces.items()):
        ref = TargetRef(definition_id=1, kind="space", hostname=space, flavour=flavour, site=site)
        out[f"space {space}"] = probe_inputs.space_input(ref, NOW)
        out[f"capacity {space}"] = probe_inputs.capacity_input(ref, NOW)
        out[f"outcomes {space}"] = probe_inputs.outcome_inputs(ref, NOW, {})
    return out


def test_every_probe_input_is_equal_on_both_backends(both_stores):
    both_stores("embedded")
    embedded = probe_answers()
    both_stores("elasticsearch")
    elasticsearch = probe_answers()

    assert len(embedded["discover"]["factories"]) >= 6
    assert differences(embedded, elasticsearch) == []
