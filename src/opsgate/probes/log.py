"""Logs probe: the lines of a recent window that match a pattern, from a file, the journal or a command.

Files are read from the end, block by block, until a line older than the window shows up; rotated
files (`app.log.1`, `app.log.2.gz`, `app.log-20261130`) are read next when the live file does not
reach back far enough. `max_bytes` bounds what is read in all. Lines without a timestamp of their
own (a traceback's lines) belong to the line before them. Matching lines are kept with secrets
masked (`password=...`, `Bearer ...`, URL passwords): the facts never hold a credential.
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import re
import shlex
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from opsgate.deadline import Deadline
from opsgate.errors import ProbeConfigError, ProbeFailure
from opsgate.probes.logtime import AutoReader, Reader, reader_for
from opsgate.probes.shell import run_command
from opsgate.redact import MASK, Redactor, clip
from opsgate.targets.log import LogsTarget
from opsgate.units import format_duration, format_size

_BLOCK = 256 * 1024
_SHOWN = 240
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b((?:pass(?:word|wd)?|secret|token|api[-_]?key|apikey|access[-_]?key|authorization|auth)"
    r"[\"']?\s*[:=]\s*[\"']?)(?!(?:bearer|basic)\s)([^\s\"'&,;]+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class LogLine:
    """One matching line (secrets masked) and when it was written (None when the format has no time)."""

    at: float | None
    text: str


@dataclass
class LogFacts:
    """What was read of the window and which lines matched."""

    source: str
    window: float
    since: float
    format: str = ""
    scanned: int = 0
    undated: int = 0
    complete: bool = True
    read: list[str] = field(default_factory=list)
    matches: list[LogLine] = field(default_factory=list)

    def top(self, limit: int) -> list[tuple[int, str]]:
        """The most frequent matching lines (numbers ignored when grouping), each with its count."""
        groups: Counter[str] = Counter()
        example: dict[str, str] = {}
        for line in self.matches:
            key = _DIGITS.sub("#", line.text)
            groups[key] += 1
            example.setdefault(key, line.text)
        return [(count, example[key]) for key, count in groups.most_common(limit)]

    def evidence(self, limit: int) -> str:
        lines = [f"# {self.source}: {len(self.matches)} matching of {self.scanned} line(s) in the last "
                 f"{format_duration(self.window)} (format {self.format or 'n/a'})"]
        lines += [f"read: {item}" for item in self.read]
        if not self.complete:
            lines.append("the window was not read whole: max_bytes reached first")
        if self.matches:
            lines.append("most frequent:")
            lines += [f"{count:>6}x  {text}" for count, text in self.top(limit)]
            lines.append("newest:")
            lines += [f"  {_when(line.at)}  {line.text}" for line in self.matches[-limit:]]
        return "\n".join(lines)


def probe(target: LogsTarget, timeout: float) -> LogFacts:
    """Read the target's source back to the start of its window and collect the lines matching its pattern."""
    deadline = Deadline(timeout)
    scan = _Scan(target)
    if target.journald is not None:
        _read_journal(target, scan, deadline)
    elif target.command is not None:
        _read_command(target, target.command, scan, deadline)
    elif target.scheme == "local":
        _read_local_files(target, scan, deadline)
    else:
        _read_remote_file(target, scan, deadline)
    return scan.done()


def mask_secrets(line: str) -> str:
    """A log line with credentials masked: `password=***`, `Bearer ***`, URL passwords."""
    line = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", line)
    line = _SECRET_ASSIGNMENT.sub(lambda m: m.group(1) + MASK, line)
    return Redactor().redact(line)


class _Scan:
    """Counts lines oldest first; an undated line takes the time of the dated line before it."""

    def __init__(self, target: LogsTarget) -> None:
        self.target, self.regex = target, target.regex
        self.reader: Reader | None = reader_for(target.format, target.time_field)
        self.facts = LogFacts(source=target.source, window=target.window, since=time.time() - target.window)
        self.dated = 0

    @property
    def since(self) -> float:
        return self.facts.since

    def time_of(self, line: str) -> float | None:
        return self.reader(line) if self.reader is not None else None

    def feed(self, lines: Iterable[str]) -> None:
        """Lines of one stretch of a source, oldest first, each read for its own time."""
        current: float | None = None
        for line in lines:
            stamp = self.time_of(line)
            if stamp is not None:
                current = stamp
                self.dated += 1
            self.add(line, current)

    def add(self, line: str, at: float | None) -> None:
        """One line at a known time (None: undated, in the window only when the format is `none`)."""
        if at is None and self.reader is not None:
            self.facts.undated += 1
            return
        if at is not None and at < self.since:
            return
        self.facts.scanned += 1
        if self.regex.search(line):
            self.facts.matches.append(LogLine(at, clip(mask_secrets(line.rstrip()), _SHOWN)))

    def done(self) -> LogFacts:
        if isinstance(self.reader, AutoReader):
            self.facts.format = self.reader.chosen or "auto"
        elif not self.facts.format:
            self.facts.format = self.target.format
        if self.reader is not None and self.dated == 0 and self.facts.undated:
            raise ProbeConfigError(
                f"{self.facts.source}: no timestamp found in {self.facts.undated} line(s) with format "
                f"{self.target.format!r}; set `format:` to a strptime format such as '%Y-%m-%d %H:%M:%S', "
                "or `format: none` when the source is already limited to the window (`--since=1h`)")
        return self.facts


def _read_local_files(target: LogsTarget, scan: _Scan, deadline: Deadline) -> None:
    assert target.file is not None
    path = Path(os.path.expanduser(target.file))
    path = path if path.is_absolute() else Path.cwd() / path
    if not path.is_file():
        raise ProbeFailure(f"no log file at {path}: the service logs elsewhere, has not started, or the path "
                           "in the profile is wrong")
    budget = target.max_bytes
    stretches: list[list[str]] = []  # newest file first
    reached = False
    for candidate in [path, *(_rotated(path) if target.rotated else [])]:
        if candidate != path and candidate.stat().st_mtime < scan.since:
            reached = True  # written to last before the window began: nothing of the window in it
            break
        deadline.budget(f"reading {candidate}")
        lines, used, reached = _read_back(candidate, scan, budget, deadline)
        stretches.append(lines)
        budget -= used
        scan.facts.read.append(f"{candidate} ({format_size(used)})")
        if reached or budget <= 0:
            break
    scan.facts.complete = reached or budget > 0
    for lines in reversed(stretches):
        scan.feed(lines)


def _rotated(path: Path) -> list[Path]:
    """Rotated copies of a log (`x.log.1`, `x.log.2.gz`, `x.log-20261130`), newest first."""
    base = glob.escape(str(path))
    found = {Path(name) for suffix in (".*", "-*") for name in glob.glob(base + suffix)}
    return sorted((p for p in found if p.is_file()), key=lambda p: p.stat().st_mtime, reverse=True)


def _read_back(path: Path, scan: _Scan, budget: float, deadline: Deadline) -> tuple[list[str], int, bool]:
    """The file's last lines back to one older than the window (or `budget` bytes): lines, bytes, reached."""
    if path.suffix == ".gz":
        return _read_gzip(path, scan, budget, deadline)
    with path.open("rb") as stream:
        position = stream.seek(0, os.SEEK_END)
        data = b""
        while position > 0 and len(data) < budget:
            step = int(min(_BLOCK, position, budget - len(data)))
            position -= step
            stream.seek(position)
            data = stream.read(step) + data
            deadline.budget(f"reading {path}")
            complete_lines = data.split(b"\n")[1:] if position > 0 else data.split(b"\n")
            if _reaches(_decode(complete_lines), scan):
                return _decode(complete_lines), len(data), True
    lines = data.split(b"\n") if position == 0 else data.split(b"\n")[1:]
    # The file's start was read: the stretch before it is another (rotated) file's, if any.
    return _decode(lines), len(data), False


def _read_gzip(path: Path, scan: _Scan, budget: float, deadline: Deadline) -> tuple[list[str], int, bool]:
    try:
        with gzip.open(path, "rb") as stream:
            data = stream.read(int(budget))
    except (OSError, EOFError) as exc:
        raise ProbeFailure(f"rotated log {path} cannot be read: {exc}") from None
    deadline.budget(f"reading {path}")
    lines = _decode(data.split(b"\n"))
    return lines, len(data), _reaches(lines, scan)


def _reaches(lines: list[str], scan: _Scan) -> bool:
    """Whether the first dated line of a stretch is older than the window: the window starts inside it."""
    for line in lines:
        stamp = scan.time_of(line)
        if stamp is not None:
            return stamp < scan.since
    return scan.reader is None


def _read_remote_file(target: LogsTarget, scan: _Scan, deadline: Deadline) -> None:
    assert target.file is not None
    size = int(target.max_bytes)
    output = run_command(target, f"tail -c {size} -- {shlex.quote(target.file)}", deadline)
    if output.status != 0:
        raise ProbeFailure(f"{target.connection}: cannot read {target.file}: "
                           f"{clip(output.stderr.strip(), 200)}")
    raw = output.stdout
    lines = raw.split("\n")
    truncated = len(raw.encode()) >= size
    scan.facts.read.append(f"{target.connection}:{target.file} (last {format_size(len(raw.encode()))})")
    scan.facts.complete = not truncated or _reaches(lines[1:], scan)
    scan.feed(lines[1:] if truncated else lines)


def _read_command(target: LogsTarget, command: str, scan: _Scan, deadline: Deadline) -> None:
    output = run_command(target, command, deadline)
    if output.status != 0:
        raise ProbeFailure(f"`{command}` exited with status {output.status}: "
                           f"{clip(output.stderr.strip(), 200)}; "
                           "the logs could not be read (cluster or daemon unreachable? credentials?)")
    scan.facts.read.append(f"{command} on {target.connection} ({format_size(len(output.stdout))})")
    scan.feed(output.stdout.splitlines())


def _read_journal(target: LogsTarget, scan: _Scan, deadline: Deadline) -> None:
    assert target.journald is not None
    base = ["journalctl", "-o", "json", "--no-pager", "-q"]
    if target.journald.directory:
        base.append(f"--directory={target.journald.directory}")
    query = [*base, f"--since=@{int(scan.since)}"]
    if target.journald.unit:
        query.append(f"--unit={target.journald.unit}")
    if target.journald.identifier:
        query.append(f"--identifier={target.journald.identifier}")
    output = run_command(target, shlex.join(query), deadline)
    if output.status != 0:
        raise ProbeConfigError(f"journalctl failed on {target.connection}: "
                               f"{clip(output.stderr.strip(), 200)}; "
                               "the checking user may need the systemd-journal group")
    entries = list(_journal_entries(output.stdout))
    scan.facts.read.append(f"{shlex.join(query)} on {target.connection} ({len(entries)} entries)")
    if not entries:
        anything = run_command(target, shlex.join([*base, "-n", "1"]), deadline)
        if not anything.stdout.strip():
            raise ProbeFailure(f"the journal on {target.connection} holds no entries at all: journald is not "
                               "running there or keeps no journal (Storage=none); the logs cannot be checked")
    scan.reader = None  # the journal dates every entry itself
    scan.facts.format = "journald"
    for at, text in entries:
        scan.add(text, at)


def _journal_entries(text: str) -> Iterator[tuple[float, str]]:
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        message = entry.get("MESSAGE")
        if isinstance(message, list):  # journald gives binary (non UTF-8) messages as byte lists
            message = bytes(message).decode("utf-8", errors="replace")
        who = entry.get("SYSLOG_IDENTIFIER") or entry.get("_SYSTEMD_UNIT") or "?"
        yield int(entry.get("__REALTIME_TIMESTAMP", 0)) / 1e6, f"{who}: {message}"


def _decode(lines: list[bytes]) -> list[str]:
    return [line.decode("utf-8", errors="replace") for line in lines if line.strip()]


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) if at is not None else "(no time)"
