"""Finding and reading the timestamp of a log line: nginx/Apache combined, ISO 8601, syslog, JSON, strptime.

Timestamps without a zone (syslog, most strptime formats, naive ISO 8601) are read in the checking
machine's local time zone, as the writing daemon on the same machine would have written them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

from opsgate.jsonpath import PathMissing, lookup
from opsgate.targets.log import strptime_regex

Reader = Callable[[str], float | None]

_COMBINED = re.compile(r"\[(\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]")
_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?\s?(Z|[+-]\d{2}:?\d{2})?")
_SYSLOG = re.compile(r"^(?:<\d+>)?([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}:\d{2}:\d{2})\b")
# Where an ISO timestamp may start: at the head of the line, after a level or a bracket, not deep inside.
_ISO_HEAD = 48
JSON_TIME_FIELDS = ("time", "timestamp", "@timestamp", "ts", "asctime", "date", "datetime", "t")


def combined(line: str) -> float | None:
    """`[10/Oct/2026:13:55:36 +0000]` of the nginx/Apache common and combined formats."""
    found = _COMBINED.search(line)
    return _parsed(found.group(1), "%d/%b/%Y:%H:%M:%S %z") if found else None


@lru_cache(maxsize=4096)
def _parsed(text: str, fmt: str) -> float | None:
    """strptime costs ~80 us a call; a busy log repeats each second's stamp on many lines."""
    try:
        return datetime.strptime(text, fmt).timestamp()
    except ValueError:
        return None


def iso8601(line: str) -> float | None:
    """`2026-12-01T05:00:00.123Z`, `2026-12-01 05:00:00,123` (Python logging), near the start of the line."""
    found = _ISO.search(line, 0, _ISO_HEAD + 35)
    if not found or found.start() > _ISO_HEAD:
        return None
    return _iso_seconds(found)


def syslog(line: str) -> float | None:
    """`Dec  1 05:00:00 host app[12]: ...` (RFC 3164: no year, so the latest such date not in the future)."""
    found = _SYSLOG.match(line)
    if not found:
        return None
    month, day, clock = found.groups()
    year = datetime.now().year
    stamp = _parsed(f"{year} {month} {day} {clock}", "%Y %b %d %H:%M:%S")
    if stamp is not None and stamp > time.time() + 86400:  # December's lines read in January
        stamp = _parsed(f"{year - 1} {month} {day} {clock}", "%Y %b %d %H:%M:%S")
    return stamp


def json_line(field: str | None) -> Reader:
    """JSON lines: the value at `field` (or the first of the usual names) as ISO 8601 or epoch (s, ms, us)."""
    fields = (field,) if field else JSON_TIME_FIELDS

    def read(line: str) -> float | None:
        if not line.lstrip().startswith("{"):
            return None
        try:
            document = json.loads(line)
        except ValueError:
            return None
        for name in fields:
            try:
                value = lookup(document, name)
            except PathMissing:
                continue
            return _json_time(value)
        return None

    return read


def strptime(fmt: str) -> Reader:
    """A custom strptime format, found anywhere in the line."""
    finder = re.compile(strptime_regex(fmt))

    def read(line: str) -> float | None:
        found = finder.search(line)
        return _parsed(found.group(0), fmt) if found else None

    return read


def reader_for(fmt: str, time_field: str | None) -> Reader | None:
    """The reader of a format name; None for `none` (every line counts as recent)."""
    if fmt == "none":
        return None
    if fmt == "auto":
        return AutoReader(time_field)
    named: dict[str, Reader] = {"combined": combined, "iso8601": iso8601, "syslog": syslog,
                                "json": json_line(time_field)}
    return named.get(fmt) or strptime(fmt)


class AutoReader:
    """Tries JSON, combined, ISO 8601 and syslog; keeps to the first that reads a line, as a file has one."""

    def __init__(self, time_field: str | None) -> None:
        self.readers: list[tuple[str, Reader]] = [("json", json_line(time_field)), ("combined", combined),
                                                  ("iso8601", iso8601), ("syslog", syslog)]
        self.chosen: str | None = None

    def __call__(self, line: str) -> float | None:
        for index, (name, reader) in enumerate(self.readers):
            value = reader(line)
            if value is not None:
                if index:  # the format that worked is tried first from now on
                    self.readers.insert(0, self.readers.pop(index))
                self.chosen = name
                return value
        return None


def _iso_seconds(found: re.Match[str]) -> float | None:
    day, clock, fraction, zone = found.groups()
    text = f"{day}T{clock}" + (f".{fraction[:6]}" if fraction else "")
    if zone:
        text += "+00:00" if zone == "Z" else (zone if ":" in zone else f"{zone[:3]}:{zone[3:]}")
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def _json_time(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
        while seconds > 1e11:  # milliseconds or microseconds since the epoch
            seconds /= 1000
        return seconds
    if isinstance(value, str):
        found = _ISO.search(value)
        return _iso_seconds(found) if found else None
    return None
