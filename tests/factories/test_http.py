from __future__ import annotations

import json

import pytest

from factories.transport import DeliveryError, HttpTransport, Spool
from tests import samples
from tests.factories.httpserver import Recorder, serve


@pytest.fixture
def vacmon():
    recorder = Recorder()
    server, url = serve(recorder)
    yield recorder, url
    server.shutdown()
    server.server_close()


def batch(n=3):
    base = json.loads(samples.VAC_MACHINETYPE)
    return [{**base, "time_sent": base["time_sent"] + i} for i in range(n)]


class FakeVacMon:
    """Plays a list of HTTP statuses (0 = unreachable) and records what was posted."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.posted: list[list[dict]] = []

    def __call__(self, url, body, headers, timeout):
        status = self.statuses.pop(0) if self.statuses else 202
        if status in (200, 202):
            self.posted.append(json.loads(body))
        return status, b""


def test_it_posts_a_json_array_with_the_site_token(vacmon):
    recorder, url = vacmon
    result = HttpTransport(url, "tok-123").send(batch())
    path, headers, body = recorder.requests[0]
    assert path == "/api/v1/messages"
    assert headers["Authorization"] == "Bearer tok-123"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == batch()
    assert result.delivered == 3


def test_it_records_the_items_vacmon_refuses_in_a_202(vacmon):
    recorder, url = vacmon
    answer = {
        "accepted": 2,
        "duplicates": 0,
        "rejected": 1,
        "items": [
            {"index": 0, "status": "accepted"},
            {"index": 1, "status": "rejected", "reason": "wrong_type", "error": "x"},
            {"index": 2, "status": "accepted"},
        ],
    }
    recorder.answers = [(202, json.dumps(answer).encode())]
    result = HttpTransport(url, "t").send(batch())
    assert result.delivered == 2
    assert [(r.reason, r.message) for r in result.refused] == [("wrong_type", batch()[1])]


def test_a_400_with_vacmons_item_report_keeps_each_items_reason():
    report = {
        "accepted": 0,
        "duplicates": 0,
        "rejected": 2,
        "items": [
            {"index": 0, "status": "rejected", "reason": "missing_field", "error": "no space"},
            {"index": 1, "status": "rejected", "reason": "wrong_type", "error": "x"},
        ],
    }

    def post(url, body, headers, timeout):
        return 400, json.dumps(report).encode()

    result = HttpTransport("http://x", "t", post=post).send(batch(2))
    assert [(r.reason, r.detail) for r in result.refused] == [
        ("missing_field", "no space"),
        ("wrong_type", "x"),
    ]
    assert result.delivered == 0


def test_it_retries_transient_failures_with_backoff():
    vacmon, sleeps = FakeVacMon([0, 503, 202]), []
    transport = HttpTransport(
        "http://x", "t", retries=3, backoff=0.5, post=vacmon, sleep=sleeps.append
    )
    assert transport.send(batch()).delivered == 3
    assert sleeps == [0.5, 1.0]


def test_without_a_spool_an_undeliverable_batch_raises():
    transport = HttpTransport(
        "http://x", "t", retries=1, post=FakeVacMon([0, 0]), sleep=lambda s: None
    )
    with pytest.raises(DeliveryError):
        transport.send(batch())


def test_a_batch_too_large_is_halved_until_it_fits():
    vacmon = FakeVacMon([413, 413, 202, 202, 202])
    result = HttpTransport("http://x", "t", post=vacmon).send(batch(4))
    assert [len(p) for p in vacmon.posted] == [1, 1, 2]
    assert result.delivered == 4


def test_a_malformed_batch_is_refused_and_kept_aside_in_the_spool(tmp_path):
    spool = Spool(tmp_path)
    result = HttpTransport("http://x", "t", spool=spool, post=FakeVacMon([400])).send(batch())
    assert len(result.refused) == 3 and len(spool) == 0
    kept = json.loads(next((tmp_path / "rejected").iterdir()).read_text())
    assert kept["reason"] == "http_400" and kept["messages"] == batch()


def test_when_vacmon_is_down_batches_are_spooled_and_replayed_in_order(tmp_path):
    spool = Spool(tmp_path)
    down = FakeVacMon([0] * 4)
    transport = HttpTransport(
        "http://x", "t", spool=spool, retries=1, post=down, sleep=lambda s: None
    )
    first, second = batch(2), batch(3)[2:]
    assert transport.send(first).spooled == 2
    assert transport.send(second).spooled == 3
    assert len(spool) == 2 and not down.posted

    up = FakeVacMon([])
    transport._post = up
    result = transport.flush()
    assert up.posted == [first, second]
    assert result.delivered == 3 and len(spool) == 0


def test_after_a_failure_sends_only_spool_until_the_pause_is_over(tmp_path):
    clock = [100.0]
    vacmon = FakeVacMon([0, 0])
    transport = HttpTransport(
        "http://x",
        "t",
        spool=Spool(tmp_path),
        retries=1,
        backoff=1.0,
        post=vacmon,
        sleep=lambda s: None,
        monotonic=lambda: clock[0],
    )
    transport.send(batch(1))
    assert transport.send(batch(2)).spooled == 3 and vacmon.statuses == []
    clock[0] += 2.5
    result = transport.send(batch(1))
    assert result.delivered == 4 and len(transport.spool) == 0


def test_a_bad_token_keeps_the_batch_for_later_without_retrying_now(tmp_path):
    spool = Spool(tmp_path)
    vacmon, sleeps = FakeVacMon([401]), []
    transport = HttpTransport("http://x", "t", spool=spool, post=vacmon, sleep=sleeps.append)
    result = transport.send(batch())
    assert result.spooled == 3 and sleeps == [] and len(spool) == 1
    assert "HTTP 401" in result.errors[0]


def test_a_partly_delivered_spool_entry_keeps_only_the_rest(tmp_path):
    spool = Spool(tmp_path)
    # 413 splits the batch; the first half lands, then VacMon goes away.
    vacmon = FakeVacMon([413, 202, 0])
    transport = HttpTransport("http://x", "t", spool=spool, retries=0, post=vacmon)
    result = transport.send(batch(4))
    assert result.delivered == 2 and result.spooled == 2
    assert Spool.load(spool.entries()[0]) == batch(4)[2:]


def test_spool_entries_sort_in_arrival_order(tmp_path):
    spool = Spool(tmp_path)
    paths = [spool.put([{"n": i}]) for i in range(20)]
    assert spool.entries() == paths


def test_the_real_http_path_spools_when_nothing_listens(tmp_path, vacmon):
    recorder, url = vacmon
    dead = HttpTransport("http://127.0.0.1:9", "t", spool=Spool(tmp_path), retries=0, timeout=1)
    assert dead.send(batch()).spooled == 3
    alive = HttpTransport(url, "t", spool=Spool(tmp_path))
    assert alive.flush().delivered == 3
    assert json.loads(recorder.requests[0][2]) == batch()
