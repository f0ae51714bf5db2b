"""Dotted paths into JSON documents: `endpoints./comps.p95_response_time_ms`, `items[0].id`."""

from __future__ import annotations

import re
from typing import Any

_SEGMENT = re.compile(r'"([^"]*)"|([^.\[\]]+)|\[(-?\d+)\]')


class PathMissing(LookupError):
    """The path leads nowhere in this document; the message says where it stopped."""


def parse_path(path: str) -> list[str | int]:
    """Split a path into keys and list indexes; quote a key that contains dots: `a."b.c"`."""
    parts: list[str | int] = []
    position = 0
    while position < len(path):
        if path[position] == ".":
            position += 1
            continue
        match = _SEGMENT.match(path, position)
        if not match:
            raise ValueError(f"cannot read JSON path {path!r} at position {position}")
        quoted, plain, index = match.groups()
        parts.append(int(index) if index is not None else (quoted if quoted is not None else plain))
        position = match.end()
    if not parts:
        raise ValueError("empty JSON path")
    return parts


def lookup(document: Any, path: str) -> Any:
    """The value at `path`, or PathMissing naming the first step that does not exist."""
    current = document
    walked = ""
    for part in parse_path(path):
        step = f"[{part}]" if isinstance(part, int) else (f".{part}" if walked else part)
        if _has(current, part):
            current = current[part]
        else:
            found = type(current).__name__ if current is not None else "null"
            raise PathMissing(f"{walked + step} does not exist ({walked or 'the document'} is a {found})")
        walked += step
    return current


def _has(container: Any, part: str | int) -> bool:
    if isinstance(part, int):
        return isinstance(container, list) and -len(container) <= part < len(container)
    return isinstance(container, dict) and part in container
