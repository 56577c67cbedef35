"""A page's reads made together: at once on a cluster, in order on the embedded store."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from vacmon.dashboard import together as together_module
from vacmon.dashboard.together import together


@pytest.fixture
def cluster(monkeypatch):
    monkeypatch.setattr(
        together_module, "get_store", lambda: SimpleNamespace(concurrent_reads=True)
    )


@pytest.fixture
def embedded(monkeypatch):
    monkeypatch.setattr(
        together_module, "get_store", lambda: SimpleNamespace(concurrent_reads=False)
    )


def test_on_a_cluster_the_reads_run_at_the_same_time(cluster):
    # Each read waits for the other: one after the other, the barrier would time out.
    barrier = threading.Barrier(2, timeout=5)

    def read(value):
        barrier.wait()
        return value

    assert together(lambda: read("a"), lambda: read("b")) == ["a", "b"]


def test_reads_made_together_inside_a_read_made_together_finish(cluster):
    barrier = threading.Barrier(2, timeout=5)

    def inner(value):
        barrier.wait()
        return value

    def outer(tag):
        return together(lambda: f"{tag}1", lambda: f"{tag}2")

    assert together(lambda: outer("x"), lambda: together(lambda: inner(1), lambda: inner(2))) == [
        ["x1", "x2"],
        [1, 2],
    ]


def test_on_the_embedded_store_the_reads_run_in_order_on_the_callers_thread(embedded):
    seen = []

    def read(value):
        seen.append((value, threading.current_thread()))
        return value

    assert together(lambda: read(1), lambda: read(2), lambda: read(3)) == [1, 2, 3]
    assert seen == [(k, threading.current_thread()) for k in (1, 2, 3)]


@pytest.mark.parametrize("store", ["cluster", "embedded"])
def test_the_first_failing_read_in_order_is_raised(store, request):
    request.getfixturevalue(store)

    def fails(message):
        raise LookupError(message)

    with pytest.raises(LookupError, match="first"):
        together(lambda: 1, lambda: fails("first"), lambda: fails("second"))


@pytest.mark.django_db(transaction=True)
def test_a_read_that_used_the_database_leaves_no_connection_open_in_its_thread(cluster):
    from django.db import connections

    held = []

    def read():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        held.append(connections["default"])
        return 1

    assert together(read, lambda: 2) == [1, 2]
    assert held[0] is not connections["default"]  # the worker thread's own connection...
    assert held[0].connection is None  # ...closed when its read ended
