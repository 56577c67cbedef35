"""A private RabbitMQ node (Debian's `rabbitmq-server`) with STOMP on ephemeral loopback
ports, for tests that stop and restart a broker: the machine's shared one is never touched.

Its own node name, ports, Erlang cookie (HOME), database and logs live in a temporary
directory, so a restart finds the same durable queues and persistent messages.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.apel.ports import free_port, listening

SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
CTL = Path("/usr/lib/rabbitmq/bin/rabbitmqctl")
STARTUP_SECONDS = 90


class RabbitMqUnavailable(RuntimeError):
    pass


@dataclass
class PrivateRabbitMq:
    directory: Path
    node: str
    amqp_port: int
    stomp_port: int
    dist_port: int
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def create(cls, directory: Path) -> PrivateRabbitMq:
        if not SERVER.exists() or not CTL.exists():
            raise RabbitMqUnavailable("rabbitmq-server is not installed (apt-get install)")
        node = f"vacmon-test-{uuid.uuid4().hex[:8]}@localhost"
        broker = cls(directory, node, free_port(), free_port(), free_port())
        (directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{broker.amqp_port}\n"
            f"stomp.listeners.tcp.1 = 127.0.0.1:{broker.stomp_port}\n"
            "loopback_users.guest = true\n"
        )
        (directory / "enabled_plugins").write_text("[rabbitmq_stomp].\n")
        (directory / "home").mkdir(exist_ok=True)
        return broker

    def _environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOME": str(self.directory / "home"),  # its own Erlang cookie
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.directory / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.directory / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.directory / "log"),
            "RABBITMQ_PID_FILE": str(self.directory / "rabbitmq.pid"),
            "RABBITMQ_ALLOW_INPUT": "",
        }

    def start(self) -> None:
        log = (self.directory / "console.log").open("ab")
        self.process = subprocess.Popen(
            [str(SERVER)],
            env=self._environment(),
            cwd=self.directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if listening(self.stomp_port):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        tail = (self.directory / "console.log").read_text(errors="replace")[-800:]
        self.kill()
        raise RabbitMqUnavailable(f"RabbitMQ did not open STOMP port {self.stomp_port}: {tail}")

    def stop(self) -> None:
        """A graceful stop, as an operator's `rabbitmqctl stop` or a package upgrade does."""
        if self.process is None:
            return
        subprocess.run(
            [str(CTL), "-n", self.node, "stop"],
            env=self._environment(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)
        self.process = None
