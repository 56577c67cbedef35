"""Results go to the broker through the durable outbox, in both renderings."""

from __future__ import annotations

import json
import socket
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from probes.model import parse_metric_output
from tests.apel.broker_support import consume_frames, delete_queue
from tests.vacmon_probes.helpers import PLUGINS, external
from vacmon.models import ProbeMessage
from vacmon.probes import outbox, service, tasks

pytestmark = pytest.mark.django_db

BROKER = ("127.0.0.1", 61613)


class FlakySender:
    """Takes `accept` messages, then fails like a broker that went away."""

    def __init__(self, accept: int) -> None:
        self.accept = accept
        self.bodies: list[str] = []

    def send(self, headers: Any, body: str) -> None:
        if len(self.bodies) >= self.accept:
            raise outbox.PublishError("connection refused")
        self.bodies.append(body)

    def close(self) -> None:
        pass


@pytest.fixture
def publishing(settings) -> Iterator[str]:
    queue = f"vacmon-test-probes-{uuid.uuid4().hex[:12]}"
    settings.VACMON_PROBE_STOMP_HOST = BROKER[0]
    settings.VACMON_PROBE_STOMP_PORT = BROKER[1]
    settings.VACMON_PROBE_STOMP_USER = "guest"
    settings.VACMON_PROBE_STOMP_PASSWORD = "guest"
    settings.VACMON_PROBE_STOMP_DESTINATION = f"/queue/{queue}"
    settings.VACMON_PROBE_MONITORING_HOST = "vacmon.example.org"
    yield queue


def run_dummy(
    status: str = "2", text: str = "it broke | took=1.5s;1;2", test: str = "Dummy-Check"
) -> None:
    dummy = external(f"org.example.{test}", f"{PLUGINS}/check_dummy", status, text)
    assert tasks.run_probe(dummy.pk, "endpoint", "se01.example.ac.uk", "HTTPS", "SITE-A", 0.0)


def test_nothing_is_queued_while_publication_is_off():
    run_dummy()
    assert ProbeMessage.objects.count() == 0


def test_each_result_is_queued_in_both_formats(publishing):
    run_dummy()
    formats = sorted(ProbeMessage.objects.values_list("format", flat=True))
    assert formats == ["metricOutput", "sam3"]


def test_a_broker_outage_keeps_every_message_for_the_next_run(publishing):
    run_dummy()
    run_dummy("0", "fine", test="Other-Check")
    sender = FlakySender(accept=1)
    assert service.publish_results(sender) == 1
    left = list(ProbeMessage.objects.order_by("id"))
    assert len(left) == 3
    assert left[0].claimed_at is None and left[0].last_error == "connection refused"
    assert service.publish_results(FlakySender(accept=10)) == 3
    assert ProbeMessage.objects.count() == 0


def test_a_message_claimed_by_another_publisher_is_not_sent_twice(publishing):
    run_dummy()
    first = ProbeMessage.objects.order_by("id").first()
    assert first is not None
    from django.utils import timezone

    assert outbox.claim(first.pk, None, timezone.now())
    sender = FlakySender(accept=10)
    assert outbox.publish_pending(sender).sent == 1
    assert ProbeMessage.objects.filter(pk=first.pk).exists()


def broker_open() -> bool:
    try:
        socket.create_connection(BROKER, timeout=2).close()
    except OSError:
        return False
    return True


@pytest.mark.broker
def test_published_results_come_back_from_the_real_broker(publishing):
    if not broker_open():
        warnings.warn(
            "RabbitMQ STOMP on 127.0.0.1:61613 is closed: broker test skipped", stacklevel=1
        )
        pytest.skip("RabbitMQ STOMP on 127.0.0.1:61613 is closed")
    queue = publishing
    try:
        run_dummy()
        assert service.publish_results() == 2
        frames = consume_frames(*BROKER, queue, expected=2, timeout=15)
    finally:
        delete_queue(queue)
    by_format = {f.headers["vacmon-format"]: f for f in frames}
    assert sorted(by_format) == ["metricOutput", "sam3"]
    record = parse_metric_output(by_format["metricOutput"].body)
    assert (record.metric_name, record.hostname, record.status.name) == (
        "org.example.Dummy-Check",
        "se01.example.ac.uk",
        "CRITICAL",
    )
    assert record.summary == "it broke"
    assert record.perfdata[0].label == "took"
    assert record.monitoring_host == "vacmon.example.org"
    document = json.loads(by_format["sam3"].body)
    assert document["metadata"]["topic"] == "sam3_raw_metric"
    assert document["data"]["dst_experiment_site"] == "SITE-A"
    assert document["data"]["status"] == "CRITICAL"
    assert by_format["sam3"].headers["metric"] == "org.example.Dummy-Check"
    assert ProbeMessage.objects.count() == 0


@pytest.mark.broker
def test_a_refused_connection_leaves_the_messages_queued(publishing, settings):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    settings.VACMON_PROBE_STOMP_PORT = probe.getsockname()[1]
    probe.close()
    run_dummy()
    assert service.publish_results() == 0
    assert ProbeMessage.objects.filter(claimed_at=None).count() == 2
    assert ProbeMessage.objects.exclude(last_error="").count() == 1


class RefusesOne:
    """A broker that refuses one message body for good and takes every other."""

    def __init__(self, refused: str) -> None:
        self.refused = refused
        self.bodies: list[str] = []

    def send(self, headers: Any, body: str) -> None:
        if body == self.refused:
            raise outbox.PublishError("ERROR frame: message refused")
        self.bodies.append(body)

    def close(self) -> None:
        pass


def test_a_message_the_broker_keeps_refusing_does_not_hold_up_the_others(publishing):
    run_dummy()
    poison = ProbeMessage.objects.order_by("id").first()
    assert poison is not None
    sender = RefusesOne(poison.body)

    assert outbox.publish_pending(sender).sent == 0  # it is first: this run stops there
    run_dummy("0", "fine", test="Other-Check")
    second = outbox.publish_pending(sender)

    assert second.sent == 3 and second.failed == 1  # the others first, then it once more
    assert list(ProbeMessage.objects.values_list("pk", flat=True)) == [poison.pk]
    assert ProbeMessage.objects.get().attempts == 2


def test_a_message_that_cannot_be_sent_at_all_is_recorded_and_the_run_goes_on(publishing):
    run_dummy()
    first = ProbeMessage.objects.order_by("id").first()
    assert first is not None

    class Unsendable(FlakySender):
        def send(self, headers: Any, body: str) -> None:
            if body == first.body:
                raise ValueError("a header cannot be encoded")
            super().send(headers, body)

    report = outbox.publish_pending(Unsendable(accept=10))

    assert (report.sent, report.failed) == (1, 1)
    assert "ValueError" in ProbeMessage.objects.get().last_error
