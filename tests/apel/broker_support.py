"""A STOMP consumer for reading back what the forwarder sent, and queue clean-up."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import stomp


@dataclass(frozen=True)
class Received:
    empa_id: str
    body: str


class Collector(stomp.ConnectionListener):  # type: ignore[misc]
    def __init__(self) -> None:
        self.frames: list[Any] = []
        self.arrived = threading.Condition()

    def on_message(self, frame: Any) -> None:
        with self.arrived:
            self.frames.append(frame)
            self.arrived.notify_all()


def new_queue_name() -> str:
    return f"vacmon-test-{uuid.uuid4().hex[:12]}"


def consume_frames(
    host: str, port: int, queue: str, expected: int, timeout: float = 20
) -> list[Any]:
    """Subscribe and wait for `expected` frames, then a short grace for unexpected extras."""
    connection = stomp.Connection11([(host, port)], prefer_localhost=False)
    collector = Collector()
    connection.set_listener("collector", collector)
    connection.connect("guest", "guest", wait=True)
    connection.subscribe(f"/queue/{queue}", id="1", ack="auto")
    deadline = time.monotonic() + timeout
    with collector.arrived:
        while len(collector.frames) < expected and time.monotonic() < deadline:
            collector.arrived.wait(0.2)
    time.sleep(0.3)
    connection.disconnect()
    return list(collector.frames)


def consume(host: str, port: int, queue: str, expected: int, timeout: float = 20) -> list[Received]:
    """What the forwarder sent: each message's empa-id and body."""
    frames = consume_frames(host, port, queue, expected, timeout)
    return [Received(f.headers.get("empa-id", ""), f.body) for f in frames]


def delete_queue(queue: str) -> None:
    """RabbitMQ keeps /queue/ destinations as durable queues; remove ours after the test."""
    import kombu  # AMQP client that comes with Celery; only needed for tidying up

    with kombu.Connection("amqp://guest:guest@127.0.0.1:5672//", connect_timeout=5) as conn:
        conn.default_channel.queue_delete(queue)
