"""Targets whose environment variables are not set: set aside, not a profile error, until selected.

`pytest -m smoke` must not stop because a weekly target's STRIPE_WEBHOOK_SECRET is unset on the
machine running the gate. Such a target is kept out of validation and stands in collection as an
unvalidated placeholder (its suites decide whether it is selected); the plugin stops with the
variable's name when a selected check needs it, and lists it as a note when none does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NEEDED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")  # a variable without `:-default`


@dataclass(frozen=True)
class Unresolved:
    """A target entry of `section` (`custom.NAME` for custom ones) at `index`, as written."""

    section: str
    index: int
    entry: dict[str, Any]
    missing: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.section}[{self.index}] ({self.entry.get('name', '?')})"

    def describe(self) -> str:
        names = ", ".join(self.missing)
        verb = "is" if len(self.missing) == 1 else "are"
        return f"{self.label}: environment variable {names} {verb} not set"


def set_aside(raw: dict[str, Any], environ: dict[str, str]) -> list[Unresolved]:
    """Remove from `raw` (in place) every target entry that needs an unset variable."""
    found: list[Unresolved] = []
    for section, entries in _target_lists(raw):
        kept = []
        for index, entry in enumerate(entries):
            missing = _missing(entry, environ)
            if missing and isinstance(entry, dict):
                found.append(Unresolved(section, index, entry, missing))
            else:
                kept.append(entry)
        entries[:] = kept
    return found


def _target_lists(raw: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    lists = [(section, value) for section, value in raw.items()
             if section != "secrets" and isinstance(value, list)]
    custom = raw.get("custom")
    if isinstance(custom, dict):
        lists += [(f"custom.{name}", value) for name, value in custom.items() if isinstance(value, list)]
    return lists


def _missing(value: Any, environ: dict[str, str]) -> tuple[str, ...]:
    if isinstance(value, dict):
        names = [name for item in value.values() for name in _missing(item, environ)]
    elif isinstance(value, list):
        names = [name for item in value for name in _missing(item, environ)]
    elif isinstance(value, str):
        names = [name for name in _NEEDED.findall(value.replace("$$", "")) if name not in environ]
    else:
        names = []
    return tuple(dict.fromkeys(names))


def original_index(unresolved: list[Unresolved], section: str, index: int) -> int:
    """The index a validated target had in the profile as written, before others were set aside."""
    for aside in sorted(u.index for u in unresolved if u.section == section):
        if aside <= index:
            index += 1
    return index
