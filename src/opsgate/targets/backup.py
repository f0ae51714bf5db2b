"""Profile model of `backups:` targets: the newest file matching a local glob, its age, size and integrity."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import field_validator, model_validator

from opsgate.targets import Target
from opsgate.targets._urls import checked_url, endpoint
from opsgate.units import DurationThreshold, NumberFloor, SizeFloor, Threshold

# The seed runbook's RPO alert: "> 36h since backup".
DEFAULT_MAX_AGE = Threshold(crit=36 * 3600.0)
# A zero-byte file is a backup job that opened its output and died.
DEFAULT_MIN_SIZE = Threshold(crit=1.0)


class BackupTarget(Target):
    """Backup files on the machine running the checks, matched by a glob (`data/*.db.backup`), or
    objects in an S3-compatible bucket (`s3://bucket/prefix`, `s3://bucket/db/*.sql.gz`).

    Relative paths resolve against the current directory of the pytest run; `~` is expanded;
    `**` matches any depth. Read-only: files are stat()ed and, when asked, read, never written;
    objects are listed and, when asked, the newest is downloaded to a temporary file and read.
    """

    kind: ClassVar[str] = "backups"
    default_suites: ClassVar[tuple[str, ...]] = ("daily",)

    path: str
    max_age: DurationThreshold | None = DEFAULT_MAX_AGE
    min_size: SizeFloor | None = DEFAULT_MIN_SIZE
    min_count: NumberFloor | None = None
    sqlite_integrity: bool | Literal["quick", "full"] = False
    gzip_integrity: bool = False
    show_newest: int = 10
    endpoint_url: str | None = None
    region: str | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("expected a file path or glob such as 'data/*.db.backup', got an empty string")
        if "://" in value and not (value.startswith("s3://") and value[5:].split("/", 1)[0]):
            raise ValueError(f"expected a local path or s3://bucket/prefix, got {value!r}")
        return value

    @model_validator(mode="after")
    def _endpoint_for_s3(self) -> BackupTarget:
        if (self.endpoint_url or self.region) and not self.object_store:
            raise ValueError("'endpoint_url' and 'region' apply to s3:// paths")
        if self.endpoint_url:
            checked_url(self.endpoint_url, ("http", "https"), "S3 endpoint")
        return self

    @property
    def object_store(self) -> bool:
        return self.path.startswith("s3://")

    @field_validator("show_newest")
    @classmethod
    def _show_newest(cls, value: int) -> int:
        if not 1 <= value <= 1000:
            raise ValueError(f"expected 1..1000 files to list in the evidence, got {value}")
        return value

    @property
    def sqlite_check(self) -> str | None:
        """The PRAGMA the SQLite integrity check runs (`quick_check` for `true`), or None."""
        if self.sqlite_integrity is False:
            return None
        return "integrity_check" if self.sqlite_integrity == "full" else "quick_check"

    def resolved_pattern(self, cwd: Path | None = None) -> str:
        """The glob as an absolute pattern: `~` expanded, relative paths joined to `cwd` (default: now)."""
        expanded = os.path.expanduser(self.path)
        if os.path.isabs(expanded):
            return expanded
        return str((cwd or Path.cwd()) / expanded)

    @property
    def host_key(self) -> str:
        if self.object_store:
            return endpoint(self.endpoint_url) if self.endpoint_url else "s3:aws"
        # Integrity checks read whole files: backups on one machine share the local disks.
        return "localhost:files"
