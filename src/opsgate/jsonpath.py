"""Dotted paths into JSON documents: `endpoints./comps.p95_response_time_ms`, `items[0].id`.

The documented subset, beyond keys and indexes: a filter `[?status.phase!='Running']` (or `==`)
keeps the elements of a list whose sub-path equals (or not) a literal, and `len(PATH)` is the
number of elements of the list or object at PATH, so counts read
`len(items[?status.phase!='Running'])`. A sub-path missing in an element reads as null.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_SEGMENT = re.compile(r'"([^"]*)"|([^.\[\]]+)|\[(-?\d+)\]')
# The literal may be an empty list or object (`[?vulns!=[]]`); other brackets end the filter.
_FILTER = re.compile(r"\[\?\s*([^\]=!]+?)\s*(==|!=)\s*((?:\[\]|[^\]])*?)\s*\]")
_LEN = re.compile(r"^\s*len\((.*)\)\s*$")


class PathMissing(LookupError):
    """The path leads nowhere in this document; the message says where it stopped."""


@dataclass(frozen=True)
class Filter:
    """`[?path==literal]` / `[?path!=literal]`: the list elements whose `path` equals (or not) `value`."""

    path: str
    equal: bool
    value: Any

    def keeps(self, element: Any) -> bool:
        try:
            found = lookup(element, self.path)
        except PathMissing:
            found = None
        same = found == self.value and isinstance(found, bool) == isinstance(self.value, bool)
        return same == self.equal

    def __str__(self) -> str:
        return f"[?{self.path}{'==' if self.equal else '!='}{json.dumps(self.value)}]"


Part = str | int | Filter


def parse_path(path: str) -> list[Part]:
    """Split a path into keys, list indexes and filters; quote a key that contains dots: `a."b.c"`.

    A `len(...)` around the path is accepted here and applied by `lookup`."""
    inner = _LEN.match(path)
    path = inner.group(1) if inner else path
    parts: list[Part] = []
    position = 0
    while position < len(path):
        if path[position] == ".":
            position += 1
            continue
        condition = _FILTER.match(path, position)
        if condition:
            sub, operator, literal = condition.groups()
            parse_path(sub)  # a bad sub-path is an error now, not a silent "no match" later
            parts.append(Filter(sub, operator == "==", _literal(literal)))
            position = condition.end()
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
    counted = _LEN.match(path)
    current = document
    walked = ""
    for part in parse_path(path):
        step = f"[{part}]" if isinstance(part, int) else (
            str(part) if isinstance(part, Filter) else (f".{part}" if walked else part))
        if isinstance(part, Filter) and isinstance(current, list):
            current = [element for element in current if part.keeps(element)]
        elif not isinstance(part, Filter) and _has(current, part):
            current = current[part]
        else:
            found = type(current).__name__ if current is not None else "null"
            raise PathMissing(f"{walked + step} does not exist ({walked or 'the document'} is a {found})")
        walked += step
    if counted:
        if not isinstance(current, list | dict | str):
            raise PathMissing(f"len({walked}): {walked} is a {type(current).__name__}, not a list")
        return len(current)
    return current


def _literal(text: str) -> Any:
    """`'Running'` and bare words are strings; `"x"`, numbers, true, false and null read as JSON."""
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        return text


def _has(container: Any, part: str | int) -> bool:
    if isinstance(part, int):
        return isinstance(container, list) and -len(container) <= part < len(container)
    return isinstance(container, dict) and part in container
