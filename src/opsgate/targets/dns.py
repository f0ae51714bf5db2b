"""Profile model of `dns:` targets: one name and record type, and what its answers must be."""

from __future__ import annotations

import ipaddress
import re
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from opsgate.targets import Strict, Target
from opsgate.targets._validate import valid_regex
from opsgate.units import Duration, DurationThreshold

RecordType = Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS"]


def parse_nameserver(text: str) -> tuple[str, int]:
    """`1.2.3.4`, `1.2.3.4:5353`, `::1` or `[::1]:5353` -> (address, port); ValueError otherwise."""
    match = re.fullmatch(r"\[([0-9a-fA-F:.]+)\](?::(\d+))?", text)
    if match:
        address, port = match.group(1), match.group(2)
    elif text.count(":") == 1:
        address, _, port = text.partition(":")
    else:
        address, port = text, None
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(
            f"expected a nameserver IP address such as '9.9.9.9' or '127.0.0.1:5353', got {text!r}"
        ) from None
    number = int(port) if port else 53
    if not 1 <= number <= 65535:
        raise ValueError(f"nameserver port must be 1-65535, got {text!r}")
    return address, number


class DnsExpect(Strict):
    """What the answers must look like; by default they must merely exist."""

    include: list[str] = []
    equals: list[str] | None = None
    matches: str | None = None
    min_answers: int = Field(default=1, ge=0)
    ttl_min: Duration | None = None
    ttl_max: Duration | None = None
    resolution_time: DurationThreshold | None = None

    @field_validator("matches")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        return None if pattern is None else valid_regex(pattern)


class DnsTarget(Target):
    """A name resolved through the system resolver or the given nameservers."""

    kind: ClassVar[str] = "dns"
    default_suites: ClassVar[tuple[str, ...]] = ("smoke", "daily")

    host: str = Field(min_length=1)
    type: RecordType = "A"
    nameservers: list[str] = []
    tcp: bool = False
    expect: DnsExpect = DnsExpect()

    @field_validator("nameservers")
    @classmethod
    def _nameservers(cls, servers: list[str]) -> list[str]:
        for server in servers:
            parse_nameserver(server)
        return servers

    @property
    def servers(self) -> list[tuple[str, int]]:
        return [parse_nameserver(s) for s in self.nameservers]

    @property
    def resolver_label(self) -> str:
        return ", ".join(self.nameservers) if self.nameservers else "the system resolver"

    @property
    def host_key(self) -> str:
        return f"dns:{self.nameservers[0]}" if self.nameservers else "dns:system"
