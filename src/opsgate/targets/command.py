"""Profile model of `commands:` targets: one command, here or through a testinfra connection, judged."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from opsgate.targets import Strict
from opsgate.targets._connection import Connected
from opsgate.targets._validate import valid_regex
from opsgate.targets.http import JsonCondition


class CommandExpect(Strict):
    """What the command's run must show: its exit status, patterns in its stdout, JSON conditions."""

    exit_status: int | list[int] = 0
    output_matches: list[str] = []
    output_forbids: list[str] = []
    json_path: list[JsonCondition] = []

    _regexes = field_validator("output_matches", "output_forbids")(
        lambda cls, patterns: [valid_regex(p) for p in patterns])

    def accepts_status(self, status: int) -> bool:
        allowed = self.exit_status if isinstance(self.exit_status, list) else [self.exit_status]
        return status in allowed


class CommandTarget(Connected):
    """A command (`kubectl get deploy -o json`, `pip-audit -f json`) run under `/bin/sh -c`.

    Read-only is the profile author's responsibility: opsgate cannot know what a command changes.
    Write `intrusive: true` on a command with side effects, so it runs only under `-m intrusive`.
    """

    kind: ClassVar[str] = "commands"
    default_suites: ClassVar[tuple[str, ...]] = ("daily",)

    command: str
    marked_intrusive: bool = Field(default=False, alias="intrusive")
    expect: CommandExpect = CommandExpect()

    @field_validator("command")
    @classmethod
    def _command(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("expected a command such as 'kubectl get deploy -o json', got an empty string")
        return value

    @property  # type: ignore[override]
    def intrusive(self) -> bool:  # the plugin marks a target `intrusive` when this is true
        return self.marked_intrusive
