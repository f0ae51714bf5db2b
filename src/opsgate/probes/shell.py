"""Running one command for a probe, on this machine or through a testinfra connection, within a deadline.

The `commands:`, `logs:` and `config:` probes share it. Locally the command runs under `/bin/sh -c`
in its own process group, killed whole when the deadline passes (a `kubectl logs -f` that never
ends costs the timeout, not the run). Through ssh it runs under the host's `timeout` when it has one,
and ssh itself never prompts and gives up after the timeout (see `probes.host.connect`).
"""

from __future__ import annotations

import math
import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass

from opsgate.deadline import Deadline
from opsgate.errors import ProbeConfigError, ProbeTimeout
from opsgate.redact import clip
from opsgate.targets._connection import Connected

# `timeout` exits 124 when it had to stop the command; the shell 127 when the command is unknown.
_TIMED_OUT, _NOT_FOUND = 124, 127


@dataclass(frozen=True)
class CommandOutput:
    """What one command did: where it ran, its exit status, its output, how long it took."""

    command: str
    where: str
    status: int
    stdout: str
    stderr: str
    elapsed: float

    def evidence(self, limit: int = 4000) -> str:
        """The command, its status and the start of both output streams."""
        parts = [f"$ {self.command}    # on {self.where}, exit status {self.status}, {self.elapsed:.2f}s"]
        for name, text in (("stdout", self.stdout), ("stderr", self.stderr)):
            if text:
                cut = text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more chars)"
                parts.append(f"--- {name}\n{cut}")
        return "\n".join(parts)


def run_command(target: Connected, command: str, deadline: Deadline) -> CommandOutput:
    """Run `command` where the target's connection says, within what is left of `deadline`.

    Raises ProbeTimeout when it outlasts the deadline, ProbeConfigError when the command does not
    exist there, and the connection's own failures (Unreachable, ...) for ssh.
    """
    runner = _run_local if target.scheme == "local" else _run_remote
    started = time.monotonic()
    status, stdout, stderr = runner(target, command, deadline)
    output = CommandOutput(command, target.connection, status, stdout, stderr, time.monotonic() - started)
    if status == _NOT_FOUND and "not found" in stderr:
        raise ProbeConfigError(f"{target.connection}: `{command}` cannot run: {clip(stderr.strip(), 200)}; "
                               "install the tool there or fix the command in the profile")
    return output


def _run_local(target: Connected, command: str, deadline: Deadline) -> tuple[int, str, str]:
    seconds = deadline.budget(f"`{command}`")
    process = subprocess.Popen(
        ["/bin/sh", "-c", command], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        # The shell's children (a pipeline, a tool it started) hold the pipes open: kill the group.
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise _too_slow(target, command, deadline) from None
    return process.returncode, _text(stdout), _text(stderr)


def _run_remote(target: Connected, command: str, deadline: Deadline) -> tuple[int, str, str]:
    from opsgate.probes.host import connect, ssh_failure, ssh_result

    host = connect(target, deadline.budget(f"connecting to {target.connection}"))
    seconds = max(1, math.ceil(deadline.budget(f"`{command}`")))
    quoted = shlex.quote(command)
    wrapped = (f"if command -v timeout >/dev/null 2>&1; then exec timeout -k 1 {seconds} sh -c {quoted}; "
               f"else exec sh -c {quoted}; fi")
    try:
        result = host.run(wrapped)
    except RuntimeError as exc:
        failed = ssh_result(exc)
        if failed is None:
            raise ProbeConfigError(f"{target.connection}: cannot run `{command}`: {exc}") from None
        raise ssh_failure(target.connection, failed, deadline.seconds) from None
    if result.rc == _TIMED_OUT:
        raise _too_slow(target, command, deadline)
    return result.rc, _text(result.stdout_bytes), _text(result.stderr_bytes)


def _too_slow(target: Connected, command: str, deadline: Deadline) -> ProbeTimeout:
    return ProbeTimeout(f"{target.connection}: `{command}` did not finish within {deadline.seconds:g}s and "
                        "was stopped; raise the target's `timeout`, or bound the command (`--since`, "
                        "`--tail`, no `-f`)")


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
