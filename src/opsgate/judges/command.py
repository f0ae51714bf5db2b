"""Rules for a command's run: its exit status, patterns in its output, JSON conditions on its output."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from opsgate.judges.http import condition_problem
from opsgate.redact import clip

if TYPE_CHECKING:
    from opsgate.probes.shell import CommandOutput
    from opsgate.targets.command import CommandTarget
    from opsgate.verdict import Verdict

_SHOWN = 160


def judge_command(target: CommandTarget, output: CommandOutput, verdict: Verdict) -> None:
    """Add a finding for every expectation of `target.expect` the command's run does not meet."""
    expect = target.expect
    verdict.evidence("command", output.evidence())
    verdict.note("exit status", output.status, str(output.status))
    if not expect.accepts_status(output.status):
        said = clip(output.stderr.strip() or output.stdout.strip(), _SHOWN)
        verdict.fail(f"`{output.command}` exited with status {output.status}, expected {expect.exit_status}; "
                     f"it said {said!r}")
    for pattern in expect.output_matches:
        if not re.search(pattern, output.stdout, re.MULTILINE):
            verdict.fail(f"output of `{output.command}` does not match /{pattern}/; it starts "
                         f"{clip(output.stdout, _SHOWN)!r}")
    for pattern in expect.output_forbids:
        found = re.search(pattern, output.stdout, re.MULTILINE)
        if found:
            verdict.fail(f"output of `{output.command}` contains forbidden /{pattern}/: {_line_of(found)!r}")
    if expect.json_path:
        _judge_json(target, output, verdict)


def _judge_json(target: CommandTarget, output: CommandOutput, verdict: Verdict) -> None:
    try:
        document = json.loads(output.stdout)
    except ValueError as exc:
        start = clip(output.stdout, _SHOWN)
        verdict.fail(f"output of `{output.command}` is not JSON ({exc}); it starts {start!r}: "
                     "ask the tool for JSON (`-o json`, `--format json`, `--json`)")
        return
    for condition in target.expect.json_path:
        problem = condition_problem(condition, document)
        if problem:
            verdict.fail(f"JSON {condition.path}: {problem}")


def _line_of(found: re.Match[str]) -> str:
    """The whole output line holding a match, cut short."""
    text = found.string
    start = text.rfind("\n", 0, found.start()) + 1
    end = text.find("\n", found.end())
    return clip(text[start:end if end != -1 else len(text)], _SHOWN)
