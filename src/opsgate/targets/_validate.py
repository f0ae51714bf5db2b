"""Validators the target models share (no drivers here)."""

from __future__ import annotations

import re


def valid_regex(pattern: str, where: str = "") -> str:
    """`pattern` when it compiles as a Python regular expression; a ValueError saying why otherwise.

    `where` names what holds it in the message (e.g. the selector the pattern is part of)."""
    try:
        re.compile(pattern)
    except re.error as exc:
        inside = f" in {where!r}" if where else ""
        raise ValueError(f"invalid regular expression {pattern!r}{inside}: {exc}") from None
    return pattern
