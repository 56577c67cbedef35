"""Start a private ActiveMQ (Debian's `activemq` package) with only STOMP on an ephemeral
127.0.0.1 port. Non-persistent by default; `persistent=True` keeps messages in KahaDB
under the directory, so stopping and starting again on the same directory and port is a
real broker restart."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.apel.ports import free_port, listening

HOME = Path("/usr/share/activemq")
ACTIVEMQ = HOME / "bin" / "activemq.jar"
_OPENS = (
    "java.base/java.security",
    "java.base/java.net",
    "java.base/java.lang",
    "java.base/java.util",
    "java.naming/javax.naming.spi",
    "java.rmi/sun.rmi.transport.tcp",
    "java.base/java.util.concurrent",
    "java.base/java.util.concurrent.atomic",
)
STARTUP_SECONDS = 45

_CONFIG = """<beans xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans
  http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
  http://activemq.apache.org/schema/core
  http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="vacmon-test"
          useJmx="false" persistent="{persistent}" dataDirectory="{data}">
    {adapter}
    <transportConnectors>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:{port}"/>
    </transportConnectors>
  </broker>
</beans>
"""


class ActiveMqUnavailable(RuntimeError):
    pass


_KAHADB = '<persistenceAdapter><kahaDB directory="{data}/kahadb"/></persistenceAdapter>'


def start(
    directory: Path, persistent: bool = False, port: int | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    if not ACTIVEMQ.exists() or shutil.which("java") is None:
        raise ActiveMqUnavailable("ActiveMQ or Java is not installed (apt-get install activemq)")
    port = port or free_port()
    config = directory / "activemq.xml"
    data = directory / "data"
    adapter = _KAHADB.format(data=data) if persistent else ""
    config.write_text(
        _CONFIG.format(data=data, port=port, persistent=str(persistent).lower(), adapter=adapter)
    )
    # Run the JVM directly as ourselves: Debian's wrapper script switches to the
    # `activemq` user and insists on a single instance per machine.
    (directory / "tmp").mkdir(exist_ok=True)
    command = [
        "java",
        "-Xms64M",
        "-Xmx256M",
        "-Djava.awt.headless=true",
        f"-Djava.io.tmpdir={directory / 'tmp'}",
        *(f"--add-opens={module}=ALL-UNNAMED" for module in _OPENS),
        f"-Dactivemq.classpath={directory}",
        f"-Dactivemq.home={HOME}",
        f"-Dactivemq.base={directory}",
        f"-Dactivemq.conf={directory}",
        f"-Dactivemq.data={directory / 'data'}",
        "-jar",
        str(HOME / "bin" / "activemq.jar"),
        "start",
        f"xbean:file:{config}",
    ]
    log = (directory / "console.log").open("ab")
    process = subprocess.Popen(
        command,
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() ends the JVM too
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if listening(port):
            return process, port
        if process.poll() is not None:
            break
        time.sleep(0.5)
    stop(process)
    tail = (directory / "console.log").read_text(errors="replace")[-500:]
    raise ActiveMqUnavailable(f"ActiveMQ did not open STOMP port {port}: {tail}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM: ActiveMQ's shutdown hook stops the broker cleanly, as its init script does."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
