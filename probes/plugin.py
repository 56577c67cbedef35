"""Run an external Nagios plugin and turn whatever happens into a ProbeResult."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from probes.model import ProbeError, ProbeResult
from probes.nagios import PluginOutputError, Status, parse_plugin_output

# Plugins print a few lines; a runaway one must not fill memory in the runner.
MAX_OUTPUT_BYTES = 64 * 1024
# Debian's monitoring-plugins; always searched, before the operator's own directories.
DEBIAN_PLUGIN_DIR = "/usr/lib/nagios/plugins"


def resolve_plugin(name: str, dirs: Sequence[str]) -> str:
    """The real path of plugin `name` (a bare name, or a path) inside one of `dirs`.

    The monitoring host decides which programs exist, as in Nagios and ETF: a definition
    only picks one. Symbolic links are followed before the check, so a link inside a plugin
    directory cannot lead out of it. Raises ProbeError saying why a name is refused.
    """
    if not name or "\0" in name:
        raise ProbeError("name a plugin")
    roots = [os.path.realpath(d) for d in dirs if d]
    if os.sep in name:
        candidates = [os.path.realpath(name)] if os.path.isabs(name) else []
    else:
        candidates = [os.path.realpath(os.path.join(root, name)) for root in roots]
    for path in candidates:
        inside = any(os.path.commonpath([path, root]) == root for root in roots)
        if inside and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    shown = ", ".join(roots) or "(none configured)"
    raise ProbeError(f"{name!r} is not an executable plugin in the plugin directories: {shown}")


@dataclass(frozen=True)
class PluginCommand:
    """An executable following the Nagios plugin API, with its arguments and environment."""

    executable: str
    args: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 60.0


@dataclass(frozen=True)
class Completed:
    """Raw outcome of running a command. `exit_code` is negative when killed by a signal."""

    exit_code: int
    stdout: bytes
    stderr: bytes
    timed_out: bool = False


def failure_reason(completed: Completed, timeout: float) -> str | None:
    """Why a run cannot be read as plugin output (timeout, signal, exit code > 3), if it can't."""
    if completed.timed_out:
        return f"plugin timed out after {timeout:g} s"
    if completed.exit_code < 0:
        return f"plugin killed by signal {signal.Signals(-completed.exit_code).name}"
    if completed.exit_code > 3:
        return f"plugin exited with code {completed.exit_code}"
    return None


def _text(data: bytes) -> str:
    return data[:MAX_OUTPUT_BYTES].decode("utf-8", "replace")


class PluginRunner:
    """Runs plugins; `_execute` is the only method that touches the operating system."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    def run(self, command: PluginCommand) -> ProbeResult:
        started = self._clock()
        try:
            completed = self._execute(command)
        except OSError as error:
            return ProbeResult(
                Status.UNKNOWN, f"cannot run plugin: {error}", "", (), started, started
            )
        finished = self._clock()
        text = _text(completed.stdout)
        reason = failure_reason(completed, command.timeout)
        if reason is not None:
            details = "\n".join(filter(None, [text.strip(), _text(completed.stderr).strip()]))
            return ProbeResult(Status.UNKNOWN, reason, details, (), started, finished)
        try:
            output = parse_plugin_output(text, completed.exit_code)
        except PluginOutputError as error:
            return ProbeResult(
                Status.UNKNOWN, f"plugin output unparseable: {error}", text, (), started, finished
            )
        summary = f"{output.service} {output.summary}" if output.service else output.summary
        return ProbeResult(
            output.status, summary.strip(), output.details, output.perfdata, started, finished
        )

    def _execute(self, command: PluginCommand) -> Completed:
        # A new session lets a timeout kill the plugin's children too (check_by_ssh, shells).
        with subprocess.Popen(
            [command.executable, *command.args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={"PATH": os.defpath, "LC_ALL": "C", **command.env},
            start_new_session=True,
        ) as proc:
            try:
                out, err = proc.communicate(timeout=command.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, err = proc.communicate()
                return Completed(proc.returncode, out, err, timed_out=True)
            return Completed(proc.returncode, out, err)
