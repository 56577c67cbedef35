"""Reads made together on a real cluster (`vacmon.store.es.batch`): their searches go in
rounds of one `_msearch`, pages in later rounds, errors as each search alone would raise
them, and no read is left waiting whatever fails."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import NotFoundError

from tests.builders import factory_status
from vacmon.store.es import batch
from vacmon.store.es.client import EsSettings, make_client

pytestmark = pytest.mark.elasticsearch

# Every test asks for a store on the live cluster (`make_es_store`), which skips loudly
# without ELASTICSEARCH_URL.
T0 = 1_767_225_600


class Counted:
    """The store's client with its searches and _msearch rounds counted."""

    def __init__(self, client: Any) -> None:
        self.searches = 0
        self.rounds: list[int] = []
        search, msearch = client.search, client.msearch

        def counted_search(**kwargs: Any) -> Any:
            self.searches += 1
            return search(**kwargs)

        def counted_msearch(**kwargs: Any) -> Any:
            self.rounds.append(len(kwargs["searches"]) // 2)
            return msearch(**kwargs)

        client.search, client.msearch = counted_search, counted_msearch


def nothing_runs_on() -> set[str]:
    return {t.name for t in threading.enumerate()}


@pytest.fixture
def store(make_es_store):
    store = make_es_store()
    store.write([factory_status(received=T0 + k, factory=f"f{k}.example.org") for k in range(5)])
    return store


def test_independent_reads_made_together_are_one_round_trip(store):
    counted = Counted(store.client)
    reads = [
        lambda: store.latest("factory_status", since=T0 - 1),
        lambda: store.factories(since=T0 - 1),
        lambda: store.history("factory_status", since=T0, until=T0 + 60, limit=3),
    ]

    found = store.together(reads)

    assert counted.rounds == [3] and counted.searches == 0
    assert [len(f) for f in found] == [5, 5, 3]


def test_a_read_that_searches_again_goes_on_in_a_later_round(store):
    counted = Counted(store.client)
    index = store.latest_index.index

    def three_in_turn() -> list[int]:
        return [
            len(
                batch.search(store.client, index=index, size=k, query={"match_all": {}})["hits"][
                    "hits"
                ]
            )
            for k in (1, 2, 3)
        ]

    def one() -> int:
        return len(batch.search(store.client, index=index, size=4)["hits"]["hits"])

    assert store.together([three_in_turn, one]) == [[1, 2, 3], 4]
    assert counted.rounds == [2, 1, 1]


def test_a_search_the_cluster_refuses_raises_as_alone_and_the_others_get_their_answers(store):
    answers: list[int] = []

    def missing() -> Any:
        return batch.search(store.client, index=f"{store.prefix}no-such-index", size=0)

    def fine() -> None:
        answers.append(len(store.latest("factory_status", since=T0 - 1)))

    with pytest.raises(NotFoundError):
        store.together([fine, missing, fine])

    assert answers == [5, 5]


def test_a_search_with_a_parameter_an_msearch_cannot_carry_is_made_alone(store):
    counted = Counted(store.client)

    def alone() -> Any:
        return batch.search(
            store.client, index=store.latest_index.index, size=0, rest_total_hits_as_int=True
        )

    found = store.together([alone, lambda: store.factories(since=T0 - 1)])

    assert counted.searches == 1 and counted.rounds == [1]
    assert isinstance(found[0]["hits"]["total"], int)


def test_reads_of_a_cluster_that_is_gone_each_raise_and_none_is_left_waiting(store):
    before = nothing_runs_on()
    gone = make_client(EsSettings(url="http://127.0.0.1:9"), request_timeout=2)
    reads = [lambda: batch.search(gone, index="any", size=0) for _ in range(3)]

    with pytest.raises(EsConnectionError):
        batch.together(gone, reads, lambda: None)

    assert nothing_runs_on() <= before


@pytest.mark.django_db
def test_a_database_connection_a_read_opens_in_its_thread_is_closed_when_it_ends(store):
    opened: list[Any] = []

    def uses_the_database() -> None:
        theirs = connections["default"]
        theirs.ensure_connection()
        opened.append(theirs)

    store.together([uses_the_database, lambda: store.factories(since=T0 - 1)])

    (theirs,) = opened
    assert theirs is not connections["default"] and theirs.connection is None


def test_the_same_search_made_by_two_reads_at_once_is_sent_once_and_answers_both(store):
    counted = Counted(store.client)

    def factories() -> Any:
        return store.factories(since=T0 - 1)

    first, second, latest = store.together(
        [factories, factories, lambda: store.latest("factory_status", since=T0 - 1)]
    )

    assert counted.rounds == [2]
    assert first == second and len(first) == 5 and len(latest) == 5
