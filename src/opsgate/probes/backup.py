"""Backup probe: the files matching a glob, newest first, and an integrity read of the newest (read-only)."""

from __future__ import annotations

import glob
import gzip
import os
import sqlite3
import stat
import tarfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from opsgate.deadline import Deadline
from opsgate.errors import ProbeConfigError, ProbeFailure, ProbeTimeout
from opsgate.targets.backup import BackupTarget
from opsgate.units import format_duration, format_size

_CHUNK = 1 << 20
# SQLite calls the progress handler every N virtual-machine instructions; small enough to stop promptly.
_SQLITE_PROGRESS_STEPS = 10_000
_MAX_PROBLEMS = 10


@dataclass(frozen=True)
class BackupFile:
    """One matching regular file: where, how big, when last written."""

    path: str
    size: int
    mtime: float


@dataclass(frozen=True)
class Integrity:
    """The result of reading the newest file through: `ok`, or the problems found (first few only)."""

    method: str
    ok: bool
    problems: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class BackupFacts:
    """Every regular file matching the pattern (newest first) and, when asked, the newest one's integrity."""

    pattern: str
    resolved: str
    files: tuple[BackupFile, ...]
    integrity: tuple[Integrity, ...] = ()
    observed_at: float = field(default_factory=time.time)

    @property
    def newest(self) -> BackupFile | None:
        return max(self.files, key=lambda f: (f.mtime, f.path)) if self.files else None

    def age(self, file: BackupFile) -> float:
        return max(0.0, self.observed_at - file.mtime)

    def evidence(self, limit: int) -> str:
        """A table of the newest files: size, age, modification time, path."""
        lines = [f"# {self.pattern} -> {self.resolved}: {len(self.files)} file(s)",
                 f"{'size':>10}  {'age':>7}  {'modified (UTC)':<19}  path"]
        for item in self.files[:limit]:
            written = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(item.mtime))
            lines.append(f"{format_size(item.size):>10}  {format_duration(self.age(item)):>7}  "
                         f"{written:<19}  {item.path}")
        if len(self.files) > limit:
            lines.append(f"... and {len(self.files) - limit} older file(s)")
        for result in self.integrity:
            state = "ok" if result.ok else "FAILED: " + "; ".join(result.problems)
            lines.append(f"{result.method}: {state}" + (f" ({result.detail})" if result.detail else ""))
        return "\n".join(lines)


def probe(target: BackupTarget, timeout: float) -> BackupFacts:
    """List the files matching the target's glob and read the newest through when integrity is asked.

    Never writes: SQLite files are opened `mode=ro`, archives are only read. Raises ProbeTimeout when
    an integrity read outlasts `timeout`, ProbeConfigError when a file cannot be read at all.
    """
    if target.object_store:
        return _object_store_probe(target, timeout)
    resolved = target.resolved_pattern()
    files = matching_files(resolved)
    newest = files[0] if files else None
    checks = _integrity(target, newest.path, time.monotonic() + timeout, timeout) if newest else []
    return BackupFacts(pattern=target.path, resolved=resolved, files=tuple(files), integrity=tuple(checks))


def _object_store_probe(target: BackupTarget, timeout: float) -> BackupFacts:
    """Objects under an s3:// prefix; the newest downloaded to a temporary file when integrity is asked."""
    from opsgate.probes.object_store import downloaded, list_objects

    deadline = Deadline(timeout)
    files = list_objects(target, deadline)
    checks: list[Integrity] = []
    if files and (target.sqlite_check or target.gzip_integrity):
        with downloaded(target, files[0].path, deadline) as local:
            checks = _integrity(target, local, time.monotonic() + deadline.remaining(), timeout)
    return BackupFacts(pattern=target.path, resolved=target.path, files=tuple(files), integrity=tuple(checks))


def _integrity(target: BackupTarget, path: str, deadline: float, timeout: float) -> list[Integrity]:
    """The integrity reads the target asks for, of the file at `path`."""
    checks: list[Integrity] = []
    if target.sqlite_check:
        checks.append(sqlite_integrity(path, target.sqlite_check, deadline, timeout))
    if target.gzip_integrity:
        checks.append(gzip_integrity(path, deadline, timeout))
    return checks


def matching_files(pattern: str) -> list[BackupFile]:
    """Regular files (symlinks followed) matching an absolute glob, newest first."""
    found: list[BackupFile] = []
    for name in glob.glob(pattern, recursive=True):
        try:
            info = os.stat(name)
        except FileNotFoundError:
            continue  # removed between glob and stat (rotation running): not a backup any more
        except OSError as exc:
            raise ProbeConfigError(f"cannot stat {name}: {exc.strerror}; give the checking user read "
                                   "access to the backup directory") from None
        if stat.S_ISREG(info.st_mode):
            found.append(BackupFile(path=name, size=info.st_size, mtime=info.st_mtime))
    return sorted(found, key=lambda f: (f.mtime, f.path), reverse=True)


def sqlite_integrity(path: str, pragma: str, deadline: float, timeout: float) -> Integrity:
    """Run `PRAGMA quick_check` or `integrity_check` on a read-only connection; problems are findings."""
    method = f"PRAGMA {pragma}"
    _readable(path)
    uri = f"file:{_uri_path(path)}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=max(0.1, deadline - time.monotonic()))
    except sqlite3.Error as exc:
        return Integrity(method, False, (f"cannot open as SQLite: {exc}",))
    try:
        connection.set_progress_handler(lambda: int(time.monotonic() > deadline), _SQLITE_PROGRESS_STEPS)
        problems = _pragma_problems(connection, pragma)
        if problems:
            return Integrity(method, False, problems)
        tables = connection.execute("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").fetchone()[0]
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise _too_slow(method, path, timeout) from None
        return Integrity(method, False, (str(exc),))
    except sqlite3.DatabaseError as exc:  # "file is not a database"
        return Integrity(method, False, (str(exc),))
    finally:
        connection.close()
    return Integrity(method, True, detail=f"{tables} table(s)")


def _pragma_problems(connection: sqlite3.Connection, pragma: str) -> tuple[str, ...]:
    """The check's problem lines (at most _MAX_PROBLEMS); an error mid-way is the last problem."""
    problems: list[str] = []
    cursor = connection.execute(f"PRAGMA {pragma}({_MAX_PROBLEMS})")
    try:
        for (line,) in cursor:
            if line != "ok":
                problems += [part.strip() for part in str(line).splitlines() if part.strip()]
    except sqlite3.DatabaseError as exc:  # "database disk image is malformed": the check itself gave up
        if "interrupted" in str(exc):
            raise
        problems.append(str(exc))
    return tuple(problems[:_MAX_PROBLEMS])


def gzip_integrity(path: str, deadline: float, timeout: float) -> Integrity:
    """Decompress the whole gzip stream (CRC and length checked at its end); a tar inside is walked too."""
    method = "gzip read-through"
    _readable(path)
    is_tar = path.endswith((".tar.gz", ".tgz"))
    try:
        if is_tar:
            members = _walk_tar(path, deadline, method, timeout)
            return Integrity(method, True, detail=f"tar with {members} member(s)")
        size = _read_gzip(path, deadline, method, timeout)
        return Integrity(method, True, detail=f"{format_size(size)} uncompressed")
    except (EOFError, gzip.BadGzipFile, zlib.error, tarfile.TarError, OSError) as exc:
        return Integrity(method, False, (_gzip_problem(exc),))


def _read_gzip(path: str, deadline: float, method: str, timeout: float) -> int:
    total = 0
    with gzip.open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            total += len(chunk)
            _check_deadline(deadline, method, path, timeout)
    return total


def _walk_tar(path: str, deadline: float, method: str, timeout: float) -> int:
    count = 0
    with tarfile.open(path, mode="r|gz") as archive:
        for _member in archive:
            count += 1
            _check_deadline(deadline, method, path, timeout)
    # Streaming mode stops at the end-of-archive marker: drain the rest so the gzip CRC is verified too.
    with gzip.open(path, "rb") as stream:
        while stream.read(_CHUNK):
            _check_deadline(deadline, method, path, timeout)
    return count


def _gzip_problem(exc: BaseException) -> str:
    if isinstance(exc, EOFError) or (isinstance(exc, tarfile.ReadError) and "unexpected end" in str(exc)):
        return f"truncated archive: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _check_deadline(deadline: float, method: str, path: str, timeout: float) -> None:
    if time.monotonic() > deadline:
        raise _too_slow(method, path, timeout)


def _too_slow(method: str, path: str, timeout: float) -> ProbeTimeout:
    return ProbeTimeout(f"{method} of {path} did not finish within {timeout:g}s; raise this target's "
                        "`timeout` (integrity reads take about 1 s per 100-500 MB) or check the disk")


def _readable(path: str) -> None:
    """Fail early, with advice, when the newest file cannot be opened for reading."""
    try:
        with open(path, "rb"):
            pass
    except PermissionError:
        raise ProbeConfigError(f"cannot read {path}: permission denied; give the checking user read "
                               "access to the backups (or drop the integrity check)") from None
    except FileNotFoundError:
        raise ProbeFailure(f"{path} disappeared while being checked (rotation running?); "
                           "run the check again") from None


def _uri_path(path: str) -> str:
    """A path for an SQLite `file:` URI: `?` and `#` would end the path, `%` starts an escape."""
    return Path(path).as_posix().replace("%", "%25").replace("?", "%3f").replace("#", "%23")
