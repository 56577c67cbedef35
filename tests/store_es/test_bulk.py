from __future__ import annotations

from elasticsearch import ConnectionError as EsConnectionError

from tests.store_es.messages import factories
from vacmon.store.es import builders
from vacmon.store.es.bulk import describe, status_of, still_waiting
from vacmon.store.es.check import CHECK_SITE, check_message


def test_the_unconfirmed_messages_keep_their_order_and_their_repeats():
    a, b, c = factories(3)
    batch = [a, b, a, c]
    # a's first copy and c were confirmed; the second a and b were not.
    waiting = {builders.doc_id(a): [a], builders.doc_id(b): [b], builders.doc_id(c): []}
    assert still_waiting(batch, waiting) == [b, a]


def test_a_transport_error_is_described_without_a_status():
    exc = EsConnectionError("refused")
    assert status_of(exc) == 0
    assert describe(exc).startswith("ConnectionError")


def test_the_check_message_is_a_factory_status_under_the_check_site():
    message = check_message(1700000000)
    assert (message.message_type, message.site, message.time_received) == (
        "factory_status",
        CHECK_SITE,
        1700000000,
    )
    assert builders.document(message)["@timestamp"] == 1700000000 * 1000
