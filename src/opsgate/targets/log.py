"""Profile model of `logs:` targets: lines matching a pattern within a recent window, from one source."""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field, field_validator, model_validator

from opsgate.targets import Strict
from opsgate.targets._connection import Connected
from opsgate.targets._validate import exactly_one, valid_regex
from opsgate.units import Duration, NumberThreshold, Size, Threshold

BUILT_IN_FORMATS = ("auto", "combined", "iso8601", "syslog", "json", "none")
# strptime directives a custom format may use, and what each one matches in a line.
STRPTIME_PARTS = {
    "Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{1,2}", "d": r"\d{1,2}", "H": r"\d{1,2}",
    "M": r"\d{1,2}", "S": r"\d{1,2}", "f": r"\d{1,6}", "b": r"[A-Za-z]{3}", "B": r"[A-Za-z]+",
    "a": r"[A-Za-z]{3}", "A": r"[A-Za-z]+", "p": r"[AaPp][Mm]", "I": r"\d{1,2}", "j": r"\d{3}",
    "z": r"(?:Z|[+-]\d{2}:?\d{2})", "Z": r"[A-Z]{2,5}", "%": "%",
}
# Any match is a finding unless the profile says how many are acceptable.
DEFAULT_MAX_MATCHES = Threshold(crit=0.0)


def strptime_regex(fmt: str) -> str:
    """A regex finding text `fmt` (a strptime format) can parse; ValueError for directives we cannot."""
    parts: list[str] = []
    position = 0
    for directive in re.finditer(r"%(.)", fmt):
        parts.append(re.escape(fmt[position:directive.start()]))
        code = directive.group(1)
        if code not in STRPTIME_PARTS:
            known = ", ".join("%" + c for c in STRPTIME_PARTS)
            raise ValueError(f"format {fmt!r}: %{code} is not supported (use {known})")
        parts.append(STRPTIME_PARTS[code])
        position = directive.end()
    parts.append(re.escape(fmt[position:]))
    return "".join(parts)


class Journald(Strict):
    """Which journal entries: a systemd unit, a syslog identifier; another journal directory."""

    unit: str | None = None
    identifier: str | None = None
    directory: str | None = None


class LogsTarget(Connected):
    """Lines of a log file (rotated files too), the journal or a command's output matching `pattern`."""

    kind: ClassVar[str] = "logs"
    default_suites: ClassVar[tuple[str, ...]] = ("daily",)

    file: str | None = None
    journald: Journald | None = None
    command: str | None = None
    pattern: str
    ignore_case: bool = False
    window: Duration = 3600.0
    format: str = "auto"
    time_field: str | None = None
    rotated: bool = True
    max_bytes: Size = 64 * 1024 * 1024
    max_matches: NumberThreshold = DEFAULT_MAX_MATCHES
    show: int = Field(default=5, ge=0, le=100)

    _pattern = field_validator("pattern")(lambda cls, value: valid_regex(value))

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value not in BUILT_IN_FORMATS:
            if "%" not in value:
                raise ValueError(f"expected one of {', '.join(BUILT_IN_FORMATS)} or a strptime format "
                                 f"such as '%Y-%m-%d %H:%M:%S', got {value!r}")
            strptime_regex(value)
        return value

    @field_validator("window")
    @classmethod
    def _window(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("expected a window such as '15m' or '24h'")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> LogsTarget:
        exactly_one(self, ("file", "journald", "command"), "'file', 'journald' or 'command'")
        if self.time_field is not None and self.format not in ("json", "auto"):
            raise ValueError("'time_field' applies to JSON lines: use it with format 'json' (or 'auto')")
        return self

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE if self.ignore_case else 0)

    @property
    def source(self) -> str:
        """The source as the messages name it."""
        if self.file is not None:
            return self.file
        if self.command is not None:
            return f"`{self.command}`"
        assert self.journald is not None
        scope = self.journald.unit or self.journald.identifier
        return f"the journal ({scope})" if scope else "the journal"
