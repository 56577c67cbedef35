"""The future never wins on Elasticsearch too: a message sent from beyond the skew window
ahead is stored with `ahead`, which the latest-state query leaves out; a hit from a backing
index older than the `ahead` mapping is left out when the answer is read."""

from __future__ import annotations

from tests.store_es.messages import sample
from vacmon.store.base import Scope
from vacmon.store.es import builders, parsers, templates

RECEIVED = 1_700_000_000


def test_a_document_sent_from_the_future_is_marked_ahead_and_a_current_one_is_not():
    ahead = sample(received=RECEIVED, time_sent=RECEIVED + 10 * 365 * 86400, skewed=True)
    current = sample(received=RECEIVED, time_sent=RECEIVED)

    assert builders.document(ahead)["ahead"] is True
    assert "ahead" not in builders.document(current)
    assert templates.mapped_fields("factory_status")["ahead"] == {"type": "boolean"}


def test_the_latest_state_query_leaves_out_documents_marked_ahead():
    body = builders.latest_query("factory_status", since=0, until=None, scope=Scope())
    assert body["query"]["bool"]["must_not"] == [{"term": {"ahead": True}}]


def test_a_newest_hit_from_the_future_is_not_taken_as_the_latest_state():
    def bucket(factory: str, sent: int) -> dict:
        source = {
            "message_type": "factory_status",
            "site": "S",
            "space": "sp",
            "factory": factory,
            "time_sent": sent,
            "skewed": sent - RECEIVED > 300,
            "raw": {"time_received": RECEIVED, "fields": {}, "extra": {}},
        }
        return {"newest": {"hits": {"hits": [{"_source": source}]}}}

    body = {
        "aggregations": {
            "entities": {"buckets": [bucket("a", RECEIVED + 10**8), bucket("b", RECEIVED)]}
        }
    }

    found, _ = parsers.latest_page(body)

    assert [m.factory for m in found] == ["b"]
