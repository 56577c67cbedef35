from __future__ import annotations

import logging

from vacmon.store.es.spool import REJECTED, Spool


def records(*names):
    return [f'{{"n": "{name}"}}' for name in names]


def drain(spool):
    out = []
    with spool.replaying() as segments:
        for segment in segments:
            out += spool.read(segment)
            spool.remove(segment)
    return out


def test_appended_records_come_back_in_order_across_segments(tmp_path):
    spool = Spool(tmp_path, 1024 * 1024, segment_bytes=30)
    spool.append(records("a", "b"))
    spool.append(records("c"))
    spool.append(records("d", "e"))
    assert len(spool.segments()) >= 2
    assert spool.pending()
    assert drain(spool) == records("a", "b", "c", "d", "e")
    assert not spool.pending()


def test_records_appended_during_a_replay_wait_for_the_next_one(tmp_path):
    spool = Spool(tmp_path, 1024 * 1024)
    spool.append(records("a"))
    with spool.replaying() as segments:
        spool.append(records("b"))  # another listener, mid-replay
        assert [spool.read(s) for s in segments] == [records("a")]
        for segment in segments:
            spool.remove(segment)
    assert drain(spool) == records("b")


def test_only_one_replay_runs_at_a_time(tmp_path):
    first, second = Spool(tmp_path, 1024 * 1024), Spool(tmp_path, 1024 * 1024)
    first.append(records("a"))
    with first.replaying() as segments, second.replaying() as other:
        assert segments and other is None


def test_a_full_spool_drops_counts_and_logs_what_does_not_fit(tmp_path, caplog):
    spool = Spool(tmp_path, 25)
    with caplog.at_level(logging.ERROR):
        kept = spool.append(records("a", "b", "c"))
    assert kept == 2
    assert spool.overflowed == 1
    assert "spool" in caplog.text and "full" in caplog.text
    assert spool.size() <= 25
    assert drain(spool) == records("a", "b")


def test_a_torn_last_line_from_a_crash_is_skipped(tmp_path):
    spool = Spool(tmp_path, 1024 * 1024)
    spool.append(records("a"))
    (segment,) = spool.segments()
    with segment.open("ab") as f:
        f.write(b'{"n": "hal')
    assert drain(spool) == records("a")


def test_rejected_records_are_kept_apart_and_never_replayed(tmp_path):
    spool = Spool(tmp_path, 1024 * 1024)
    spool.reject(records("bad"))
    assert not spool.pending()
    assert (tmp_path / REJECTED).read_text() == records("bad")[0] + "\n"
    assert spool.size() == len(records("bad")[0]) + 1


def test_an_empty_spool_has_nothing_to_replay(tmp_path):
    spool = Spool(tmp_path / "new", 1024 * 1024)
    assert spool.append([]) == 0
    assert drain(spool) == []
