"""On PostgreSQL, job uploads hold the outbox's queue lock shared: two uploads store side
by side, a cut still waits for every upload in flight, and an upload that PostgreSQL ends
to break a deadlock with another is run again (vacmon.apel.queue)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from django.db import OperationalError, connection, transaction
from django.test import Client

from apel.parse import parse_message
from tests.apel.helpers import message
from tests.vacmon_apel.support import job, upload
from vacmon.apel import jobs, queue, services
from vacmon.apel.outbox import DjangoOutbox
from vacmon.models import ApelRecord
from vacmon.models.apel import KIND_JOB

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's locks"),
]
WAIT = 10.0  # seconds: what any step here may take before the test gives up


def rows_of(*indexes: int, **changes: str) -> list[tuple]:
    now = datetime.now(UTC)
    records = parse_message(message(*(job(i, **changes) for i in indexes)), now).records
    return jobs.record_rows(records, KIND_JOB, now, None)


def another_upload(
    work: Callable[[], None], done: threading.Event
) -> tuple[threading.Thread, list[BaseException]]:
    """`work` as another upload, in a thread on its own connection, started now: the
    thread and where its failure goes. `done` is set when it ends, whatever happens."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            queue.upload(work)
        except BaseException as error:  # reported by the test thread
            failure.append(error)
        finally:
            done.set()  # never leave the test thread waiting
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, failure


@contextmanager
def upload_in_flight(work: Callable[[], None]) -> Iterator[threading.Event]:
    """Another upload stopped inside its transaction after `work()`, until the event the
    block gets is set; it commits once the block ends."""
    inside, release = threading.Event(), threading.Event()

    def held() -> None:
        work()
        inside.set()
        assert release.wait(WAIT)

    thread, failure = another_upload(held, inside)
    try:
        assert inside.wait(WAIT)
        yield release
    finally:
        release.set()
        thread.join(WAIT)
    assert not failure, failure


@contextmanager
def lock_timeout(seconds: float) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{int(seconds * 1000)}ms'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_an_upload_stores_while_another_upload_is_still_open() -> None:
    with upload_in_flight(lambda: jobs.store(rows_of(1, 2), datetime.now(UTC))), lock_timeout(2):
        # With one upload at a time, this one waited for the other's commit: here, for
        # ever. (Another site: uploads for one site-month wait for each other's mark of
        # that month, the last step before their commit.)
        report = services.accept_message(message(job(3, Site="UKI-SOUTHGRID-OX-HEP")))
        assert report.accepted == 1
    assert ApelRecord.objects.count() == 3


def test_a_cut_waits_for_the_upload_in_flight_and_then_takes_its_records() -> None:
    outbox = DjangoOutbox()
    with upload_in_flight(lambda: jobs.store(rows_of(1, 2, 3), datetime.now(UTC))) as release:
        # The upload holds ids it has not committed: a cut now could pass below them.
        with lock_timeout(0.3), pytest.raises(OperationalError, match="lock timeout"):
            outbox.claim_next_batch(datetime.now(UTC))
        release.set()
    batch = outbox.claim_next_batch(datetime.now(UTC))
    assert batch is not None and len(batch.records) == 3


def deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def waits_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def test_an_upload_that_postgresql_ends_to_break_a_deadlock_is_run_again() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            pytest.skip("choosing the deadlock's victim sets deadlock_timeout: a superuser's")
    ours, before = backend_pid(), deadlocks()
    holding = threading.Event()

    def work() -> None:
        with connection.cursor() as cursor:
            # Its own check comes late, so PostgreSQL ends ours.
            cursor.execute("SET LOCAL deadlock_timeout = '20s'")
        jobs.store(rows_of(2, WallDuration="7"), datetime.now(UTC))
        holding.set()
        deadline = time.monotonic() + WAIT
        while not waits_for_a_lock(ours):  # ours holds job 1 and waits for job 2
            assert time.monotonic() < deadline
            time.sleep(0.01)
        jobs.store(rows_of(1, WallDuration="7"), datetime.now(UTC))  # waits for ours

    thread, failure = another_upload(work, holding)
    assert holding.wait(WAIT)
    report = services.accept_message(message(job(1), job(2)))
    thread.join(WAIT)
    assert not failure, failure
    assert deadlocks() == before + 1
    # Run again after the other upload committed: ours replaced both of its jobs.
    assert (report.accepted, report.duplicates) == (2, 0)
    held = sorted(ApelRecord.objects.values_list("local_job_id", "wall_seconds"))
    assert held == [("job-0000001", 86355), ("job-0000002", 86355)]


def test_an_upload_the_database_cannot_take_now_is_answered_503_and_keeps_nothing() -> None:
    inside, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def a_long_cut() -> None:  # holds the queue alone, as a cut or the summariser does
        try:
            with transaction.atomic():
                queue.queue_lock()
                inside.set()
                assert release.wait(WAIT)
        except BaseException as error:  # reported by the test thread
            failure.append(error)
        finally:
            inside.set()
            connection.close()

    thread = threading.Thread(target=a_long_cut)
    thread.start()
    assert inside.wait(WAIT)
    try:
        with lock_timeout(0.2):
            status, body = upload(Client(), message(job(1)))
    finally:
        release.set()
        thread.join(WAIT)
    assert not failure, failure
    assert status == 503 and "lock timeout" in body["error"]
    assert not ApelRecord.objects.exists()
    assert upload(Client(), message(job(1)))[0] == 202
