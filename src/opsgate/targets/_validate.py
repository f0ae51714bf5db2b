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


def exactly_one(model: object, keys: tuple[str, ...], described: str) -> None:
    """A ValueError unless exactly one of `keys` is set on `model`; `described` lists them for people."""
    given = [key for key in keys if getattr(model, key) is not None]
    if len(given) != 1:
        got = f" (got {', '.join(given)})" if given else ""
        raise ValueError(f"give exactly one source: {described}{got}")
