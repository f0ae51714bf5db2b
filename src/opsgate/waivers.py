"""Waivers: a known failure, accepted for a while by a named owner, reported as waived.

A waiver names checks by a pattern of their ids (`http[legacy-*]`, `tls[*]`, `*[billing]`), says
why and who owns it, and until when. A failure it covers reads "waived" in every output, never
passed and never hidden. Once its expiry date has passed the waiver stops covering anything and
fails the run itself (InSpec's behaviour), so an accepted risk cannot quietly become permanent.
"""

from __future__ import annotations

import datetime
import re

from pydantic import Field

from opsgate.targets import Strict


class Waiver(Strict):
    """`waivers:` entry of a profile."""

    check: str = Field(min_length=1, description="pattern of check ids: kind[target], * and ? wildcards")
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: datetime.date

    def covers(self, check_id: str) -> bool:
        # Only * and ? are wildcards: the brackets of `http[api]` are literal, unlike fnmatch's.
        wild = re.escape(self.check).replace(r"\*", ".*").replace(r"\?", ".")
        return re.fullmatch(wild, check_id) is not None

    def expired(self, today: datetime.date) -> bool:
        """The waiver holds through its expiry date and lapses the day after."""
        return today > self.expires

    def describe(self) -> str:
        return f"waived until {self.expires.isoformat()} by {self.owner}: {self.reason}"


def check_id(kind: str, target: str) -> str:
    """The id waivers match: `http[api-health]` (the pytest id without the test_ prefix)."""
    return f"{kind}[{target}]"


def active_waiver(waivers: list[Waiver], kind: str, target: str,
                  today: datetime.date) -> Waiver | None:
    """The first unexpired waiver that covers this check."""
    wanted = check_id(kind, target)
    return next((w for w in waivers if w.covers(wanted) and not w.expired(today)), None)


def expired(waivers: list[Waiver], today: datetime.date) -> list[Waiver]:
    return [w for w in waivers if w.expired(today)]


def as_json(waivers: list[Waiver], today: datetime.date) -> list[dict[str, str | bool]]:
    return [{"check": w.check, "reason": w.reason, "owner": w.owner,
             "expires": w.expires.isoformat(), "expired": w.expired(today)} for w in waivers]


def today() -> datetime.date:
    """Today in UTC, the calendar every run agrees on whatever the host's timezone."""
    return datetime.datetime.now(datetime.UTC).date()
