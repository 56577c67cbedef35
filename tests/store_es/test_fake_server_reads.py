"""The real client against a fake server: the reads' requests and how answers are paged."""

from __future__ import annotations

from tests import samples
from tests.store_es.fake_server import Reply, error_reply
from tests.store_es.messages import RECEIVED, sample
from vacmon.store.base import ChartQuery, EntityBuckets, FactoryRef, Scope, Series
from vacmon.store.es import builders
from vacmon.store.heartbeats import from_messages

# The raw streams' searches. The latest-state index (vacmon-latest) is not served, as on a
# cluster an older VacMon wrote to, so latest-state reads go to the raw messages.
SEARCH = r"/vacmon-(\w+_status)/_search"


def source(message):
    doc = builders.document(message)
    return {k: v for k, v in doc.items() if k in builders.SOURCE_FIELDS}


def composite(buckets, after=None):
    agg = {"buckets": buckets}
    if after:
        agg["after_key"] = after
    return Reply(body={"hits": {"hits": []}, "aggregations": {"entities": agg}})


def test_latest_pages_through_composite_buckets_and_sorts_by_entity(fake_es, es_store, monkeypatch):
    monkeypatch.setattr(builders, "LATEST_PAGE", 1)  # one sender a page: every page is full
    server = fake_es()
    b, a = sample(factory="b.example"), sample(factory="a.example")
    server.on(
        "POST",
        SEARCH,
        composite(
            [{"key": {"factory": "b"}, "newest": {"hits": {"hits": [{"_source": source(b)}]}}}],
            after={"factory": "b"},
        ),
        composite(
            [{"key": {"factory": "a"}, "newest": {"hits": {"hits": [{"_source": source(a)}]}}}],
            after={"factory": "a"},
        ),
        composite([]),  # ES ends a composite walk with an empty page
    )
    store = es_store(server)

    assert store.latest("factory_status", since=RECEIVED - 600, scope=Scope(site="S")) == [a, b]

    first, second, third = server.seen("POST", SEARCH)
    assert first.path == "/vacmon-factory_status/_search"
    assert first.query["ignore_unavailable"] == ["true"]
    assert first.query["allow_no_indices"] == ["true"]
    assert first.json() == builders.latest_query(
        "factory_status", since=RECEIVED - 600, until=None, scope=Scope(site="S"), page=1
    )
    assert second.json()["aggs"]["entities"]["composite"]["after"] == {"factory": "b"}
    assert third.json()["aggs"]["entities"]["composite"]["after"] == {"factory": "a"}


def test_latest_on_a_stream_not_yet_created_is_empty(fake_es, es_store):
    server = fake_es()
    server.on("POST", SEARCH, Reply(body={"hits": {"hits": []}}))
    assert es_store(server).latest("machine_status", since=0) == []


def test_history_continues_with_search_after_and_drops_a_repeated_id(
    fake_es, es_store, monkeypatch
):
    server = fake_es()
    m1, m2, m3 = (sample(samples.VCYCLE_MACHINE, time_sent=t) for t in (3, 2, 1))

    def hit(m, sort):
        return {"_id": builders.doc_id(m), "_source": source(m), "sort": sort}

    server.on(
        "POST",
        SEARCH,
        Reply(body={"hits": {"hits": [hit(m1, [3]), hit(m2, [2])]}}),
        Reply(body={"hits": {"hits": [hit(m2, [2]), hit(m3, [1])]}}),
    )
    monkeypatch.setattr(builders, "MAX_WINDOW", 2)  # page in twos: a second page is needed
    found = es_store(server).history("machine_status", since=0, until=10, limit=3)

    assert found == [m1, m2, m3]
    first, second = server.seen("POST", SEARCH)
    assert first.path == "/vacmon-machine_status/_search"
    assert "search_after" not in first.json()
    assert second.json()["search_after"] == [2]


def test_sender_buckets_sum_pages_into_averages(fake_es, es_store):
    server = fake_es()
    key = {"site": "S", "space": "sp", "factory": "f"}
    slots = [
        {
            "key": 600_000,
            "sum_running_processors": {"value": 6.0},
            "n_running_processors": {"value": 2},
        },
        {
            "key": 1_200_000,
            "sum_running_processors": {"value": 5.0},
            "n_running_processors": {"value": 1},
        },
    ]
    server.on("POST", SEARCH, composite([{"key": key, "t": {"buckets": slots}}]))
    store = es_store(server)

    (result,) = store.entity_buckets_many(
        "factory_status",
        ("running_processors",),
        group_by="space",
        since=900,
        until=1500,
        interval=300,
        lookback=600,
    ).values()

    assert result == [
        EntityBuckets(
            group="sp", entity=("S", "sp", "f"), averages={1200: 5.0}, last_before=(899, 3.0)
        )
    ]
    (request,) = server.seen("POST", SEARCH)
    body = request.json()
    assert body["aggs"]["entities"]["aggs"]["t"]["date_histogram"]["fixed_interval"] == "300s"
    assert request.query["filter_path"] == [",".join(builders.BUCKETS_FILTER_PATH)]


def filled(series: Series) -> dict[str, dict[int, float]]:
    """Each group's buckets that hold a value."""
    return {
        group: {t: v for t, v in zip(series.times, row, strict=True) if v is not None}
        for group, row in series.values.items()
    }


def test_sender_buckets_read_every_metric_in_one_search_sized_by_what_senders_filled(
    fake_es, es_store, monkeypatch
):
    # A budget so small that the first page holds one sender: every page below is full.
    monkeypatch.setattr(builders, "BUCKET_BUDGET", 300)
    server = fake_es()
    slot = {"key": 86_400_000, "sum_max_hs06": {"value": 6.0}, "n_max_hs06": {"value": 2}}
    first = {"key": {"site": "S", "space": "sp", "factory": "a"}, "t": {"buckets": [slot]}}
    second = {"key": {"site": "S", "space": "sp", "factory": "b"}, "t": {"buckets": [slot]}}
    server.on(
        "POST",
        SEARCH,
        composite([first], after=first["key"]),
        error_reply(400, "too_many_buckets_exception"),
        composite([second], after=second["key"]),
        composite([]),
    )
    metrics = ("max_hs06", "max_processors")
    year = ChartQuery("factory_status", metrics, "site", 0, 365 * 86400, 86400, Scope(), 600)
    result = es_store(server).chart(year)

    # Day buckets are summed per group (no rollups built yet: from the raw pages), so both
    # senders' averages, from both pages, are in the site's bucket.
    assert filled(result["max_hs06"]) == {"S": {86400: 6.0}}
    assert result["max_processors"].values == {}
    sizes = [r.json()["aggs"]["entities"]["composite"]["size"] for r in server.seen("POST", SEARCH)]
    worst = builders.buckets_page_size(0, 365 * 86400, 86400, 600)
    # One search per page for both metrics; after a page of one-bucket senders the next is
    # as big as the budget allows, and the cluster's bucket limit sends it again at the safe
    # size.
    after_one = builders.next_page_size(worst, 1)
    assert worst == 1
    assert sizes == [worst, after_one, worst, after_one]


def test_a_page_shorter_than_asked_for_ends_the_walk_without_asking_for_an_empty_one(
    fake_es, es_store
):
    server = fake_es()
    a = sample(factory="a.example")
    bucket = {"key": {"factory": "a"}, "newest": {"hits": {"hits": [{"_source": source(a)}]}}}
    # Elasticsearch gives an after_key with every page that holds a bucket, the last too.
    server.on("POST", SEARCH, composite([bucket], after={"factory": "a"}), composite([]))

    assert es_store(server).latest("factory_status", since=RECEIVED - 600) == [a]
    assert len(server.seen("POST", SEARCH)) == 1


def test_factories_reads_the_last_receive_time_per_factory(fake_es, es_store):
    server = fake_es()
    bucket = {"key": {"site": "S", "space": "sp", "factory": "f"}, "last": {"value": 1.5e12}}
    server.on("POST", SEARCH, composite([bucket]))
    refs = es_store(server).factories(since=10)
    assert refs == [FactoryRef(site="S", space="sp", factory="f", last_seen=1_500_000_000)]
    assert server.seen("POST", SEARCH)[0].path == "/vacmon-factory_status/_search"


def test_purge_deletes_by_query_across_the_three_streams(fake_es, es_store):
    server = fake_es()
    path = (
        r"/vacmon-factory_status,vacmon-machinetype_status,vacmon-machine_status/_delete_by_query"
    )
    latest = r"/vacmon-latest/_delete_by_query"
    server.on("POST", path, Reply(body={"deleted": 42, "took": 5, "failures": []}))
    server.on("POST", latest, Reply(body={"deleted": 3, "took": 1, "failures": []}))
    assert es_store(server).purge(before=100) == 42
    (request,) = server.seen("POST", path)
    assert request.json() == {"query": {"range": {"@timestamp": {"lt": 100_000}}}}
    assert request.query["conflicts"] == ["proceed"]
    # The latest states those messages recorded go too; only raw messages are counted.
    (states,) = server.seen("POST", latest)
    assert states.json() == request.json()


def test_heartbeats_are_computed_from_the_newest_messages_it_reads(fake_es, es_store):
    server = fake_es()
    newest = [
        sample(time_sent=RECEIVED - 10 * k, factory_heartbeat_time=RECEIVED - 10 * k - 120)
        for k in range(3)
    ]
    hits = [
        {"_id": builders.doc_id(m), "_source": source(m), "sort": [m.time_sent]} for m in newest
    ]
    server.on("POST", SEARCH, Reply(body={"hits": {"hits": hits}}))
    scope = Scope(site="S", factory="f")
    found = es_store(server).heartbeats(
        since=RECEIVED - 3600, until=RECEIVED, interval=600, scope=scope, limit=3
    )

    assert found == from_messages(newest, 600)
    assert found.messages == 3 and found.ages["factory_heartbeat_time"]
    (request,) = server.seen("POST", SEARCH)
    assert request.path == "/vacmon-factory_status/_search"
    assert {"term": {"factory": "f"}} in request.json()["query"]["bool"]["filter"]
