"""Command probe: run the target's command once, here or through its connection, and keep what it did."""

from __future__ import annotations

from opsgate.deadline import Deadline
from opsgate.probes.shell import CommandOutput, run_command
from opsgate.targets.command import CommandTarget


def probe(target: CommandTarget, timeout: float) -> CommandOutput:
    """The command's exit status and output; a command that outlasts `timeout` is killed (ProbeTimeout)."""
    return run_command(target, target.command, Deadline(timeout))
