"""The SQLite write lock: one holder at a time across threads (and so across processes,
each taking it on its own descriptor); nothing to hold elsewhere."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from vacmon.store.writelock import lock_path, write_lock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("embedded_only")]


def test_a_second_writer_waits_until_the_first_lets_go():
    if connections["default"].vendor != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database: there is no file lock")
    order: list[str] = []
    held = threading.Event()

    def first() -> None:
        with write_lock():
            held.set()
            time.sleep(0.3)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(5)
    with write_lock():
        order.append("second in")
    thread.join(5)

    assert order == ["first done", "second in"]


def test_no_file_lock_is_taken_when_messages_go_to_elasticsearch(settings):
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"
    assert lock_path() is None
