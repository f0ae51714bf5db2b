"""Profile model of `hosts:` targets: services, processes, sockets, disk, memory, load and files of a host."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, PlainSerializer, field_validator, model_validator

from opsgate.targets import Strict
from opsgate.targets._connection import Connected
from opsgate.units import (
    THRESHOLD_INPUT,
    NumberThreshold,
    Threshold,
    parse_number,
    parse_size,
    threshold_limits,
    threshold_reader,
)

_SOCKET = re.compile(
    r"^(?:(?P<proto>tcp|udp)://(?:(?P<host>\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]+|[A-Za-z0-9.-]+):)?(?P<port>\d{1,5})"
    r"|unix://(?P<path>/.+))$"
)
_MODE = re.compile(r"^0?[0-7]{3,4}$")


@dataclass(frozen=True)
class SizeOrRatio:
    """A warn/crit floor given either as a share of a total (`0.1`, `"10%"`) or as a size (`"512MB"`)."""

    threshold: Threshold
    ratio: bool


def _is_ratio(value: Any) -> bool:
    """`"10%"` and bare numbers up to 1 are ratios; sizes carry a unit or are byte counts above 1."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            return True
        try:
            return float(text) <= 1
        except ValueError:
            return False
    return isinstance(value, int | float) and not isinstance(value, bool) and value <= 1


def _read_size_or_ratio(value: Any) -> SizeOrRatio:
    if isinstance(value, SizeOrRatio):
        return value
    limits = threshold_limits(value)
    if not limits:
        raise ValueError("a threshold needs 'warn', 'crit' or both")
    kinds = {_is_ratio(v) for v in limits.values()}
    if len(kinds) > 1:
        raise ValueError("give both limits as ratios (0.1, '10%') or both as sizes ('512MB'), not a mix")
    ratio = kinds.pop()
    return SizeOrRatio(threshold_reader(parse_number if ratio else parse_size, floor=True)(limits), ratio)


def _dump_size_or_ratio(value: SizeOrRatio) -> dict[str, Any]:
    return {"warn": value.threshold.warn, "crit": value.threshold.crit, "ratio": value.ratio}


SizeOrRatioFloor = Annotated[
    SizeOrRatio, BeforeValidator(_read_size_or_ratio, json_schema_input_type=THRESHOLD_INPUT),
    PlainSerializer(_dump_size_or_ratio)
]


class FileExpectation(Strict):
    """What one file on the host must look like."""

    exists: bool = True
    mode: str | None = None
    owner: str | None = None
    group: str | None = None
    contains: list[str] = []

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            # YAML reads `mode: 644` as decimal 644 and `mode: 0644` as octal (420): which one was
            # written is lost, and guessing would check a wrong mode. Only a string says it.
            raise ValueError(f"write the file mode quoted, e.g. mode: \"0644\": unquoted, YAML reads it as "
                             f"a number (644 in decimal, 0644 in octal = 420), got {value!r}")
        text = str(value)
        if not _MODE.match(text):
            raise ValueError(f"expected an octal file mode such as '0644', got {value!r}")
        return f"{int(text, 8):04o}"

    @field_validator("contains", mode="before")
    @classmethod
    def _contains(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _absent_means_nothing_else(self) -> FileExpectation:
        if not self.exists and (self.mode or self.owner or self.group or self.contains):
            raise ValueError("'exists: false' cannot be combined with mode, owner, group or contains")
        return self

    @property
    def mode_bits(self) -> int | None:
        return int(self.mode, 8) if self.mode else None


class HostTarget(Connected):
    """One host reached through pytest-testinfra (`local://` or `ssh://user@host`); read-only commands."""

    kind: ClassVar[str] = "hosts"
    default_suites: ClassVar[tuple[str, ...]] = ("daily",)

    services: list[str] = []
    services_enabled: bool = False
    processes: list[str] = []
    listening: list[str] = []
    disk_used_max: dict[str, NumberThreshold] = {}
    memory_available_min: SizeOrRatioFloor | None = None
    load_per_cpu_max: NumberThreshold | None = None
    files: dict[str, FileExpectation] = Field(default_factory=dict)

    @field_validator("listening")
    @classmethod
    def _sockets(cls, value: list[str]) -> list[str]:
        for spec in value:
            match = _SOCKET.match(spec)
            if not match or (match["port"] and not 0 < int(match["port"]) < 65536):
                raise ValueError(
                    f"expected a socket such as 'tcp://127.0.0.1:6379', 'tcp://6379' (any address), "
                    f"'udp://53' or 'unix:///run/app.sock', got {spec!r}"
                )
        return value

    @field_validator("disk_used_max")
    @classmethod
    def _mounts(cls, value: dict[str, Threshold]) -> dict[str, Threshold]:
        for mount, threshold in value.items():
            if not mount.startswith("/"):
                raise ValueError(f"expected an absolute mount point such as '/' or '/var', got {mount!r}")
            for limit in (threshold.warn, threshold.crit):
                if limit is not None and not 0 <= limit <= 1:
                    raise ValueError(f"disk_used_max of {mount} is a used ratio between 0 and 1 "
                                     f"(or '90%'), got {limit:g}")
        return value

    @field_validator("files")
    @classmethod
    def _files(cls, value: dict[str, FileExpectation]) -> dict[str, FileExpectation]:
        for path in value:
            if not path.startswith("/"):
                raise ValueError(f"expected an absolute file path, got {path!r}")
        return value

    @model_validator(mode="after")
    def _asks_something(self) -> HostTarget:
        if self.services_enabled and not self.services:
            raise ValueError("'services_enabled: true' needs a 'services' list")
        if not any((self.services, self.processes, self.listening, self.disk_used_max,
                    self.memory_available_min, self.load_per_cpu_max, self.files)):
            raise ValueError(
                "a hosts target checks nothing: give at least one of services, processes, listening, "
                "disk_used_max, memory_available_min, load_per_cpu_max or files"
            )
        return self
