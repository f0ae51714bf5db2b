"""The backups check end to end: files made here, the plugin, messages and outcomes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import RunChecks
from tests.probes.test_backup import corrupt_pages, make_gzip, make_sqlite, truncate


def aged(path: Path, hours: float) -> Path:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))
    return path


def test_a_fresh_sqlite_backup_passes_relative_to_the_run_directory(
    run_checks: RunChecks, pytester: pytest.Pytester
) -> None:
    aged(make_sqlite(pytester.path / "data" / "audit.db.backup", rows=50), 30)
    make_sqlite(pytester.path / "data" / "cache.db.backup", rows=50)
    result = run_checks("""
        name: t
        backups:
          - {name: sqlite, path: "data/*.db.backup", max_age: 36h, min_count: 2, sqlite_integrity: true}
    """, "-m", "daily")
    result.assert_outcomes(passed=1)


def test_a_backup_40h_old_fails_the_rpo(run_checks: RunChecks, pytester: pytest.Pytester) -> None:
    aged(make_sqlite(pytester.path / "data" / "cache.db.backup", rows=50), 40)
    result = run_checks("""
        name: t
        backups:
          - {name: sqlite, path: "data/*.db.backup", max_age: 36h}
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*backups sqlite: age of the newest backup is 40h, above the limit 36h (crit): *cache.db.backup is "
        "the newest; the recovery point is older than the runbook allows*"
    ])


def test_no_backup_at_all_fails(run_checks: RunChecks, pytester: pytest.Pytester) -> None:
    result = run_checks("""
        name: t
        backups:
          - {name: sqlite, path: "data/*.db.backup", runbook: "https://runbooks/backups#stale"}
    """)
    result.assert_outcomes(failed=1)
    # A relative glob is read from the profile's directory (here the test's directory).
    result.stdout.fnmatch_lines([f"*backups sqlite: no backup matches {pytester.path}/data/"
                                 "*.db.backup: the backup job has not run or writes elsewhere*",
                                 "*Runbook: https://runbooks/backups#stale"])


def test_an_empty_and_a_corrupt_backup_fail_together(
    run_checks: RunChecks, pytester: pytest.Pytester
) -> None:
    (pytester.path / "data").mkdir()
    (pytester.path / "data" / "cache.db.backup").write_bytes(b"")
    db = aged(make_sqlite(pytester.path / "data" / "audit.db.backup"), 1)
    corrupt_pages(db)
    aged(db, 1)
    result = run_checks("""
        name: t
        backups:
          - {name: empty, path: "data/cache.db.backup"}
          - {name: corrupt, path: "data/audit.db.backup", sqlite_integrity: true}
    """)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines_random([
        "*backups empty: size of the newest backup is 0B, below the minimum 1B (crit): *cache.db.backup is "
        "empty or truncated*",
        "*backups corrupt: PRAGMA quick_check of the newest backup *audit.db.backup failed: database disk "
        "image is malformed: this backup cannot be restored*",
    ])


def test_a_truncated_gzip_fails(run_checks: RunChecks, pytester: pytest.Pytester) -> None:
    truncate(make_gzip(pytester.path / "dumps" / "orders-20240115.sql.gz"))
    result = run_checks("""
        name: t
        backups:
          - {name: dump, path: "dumps/*.sql.gz", gzip_integrity: true}
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*backups dump: gzip read-through of the newest backup *orders-20240115.sql.gz failed: truncated "
        "archive: Compressed file ended*"
    ])


def test_warn_only_passes_with_a_threshold_warning(run_checks: RunChecks, pytester: pytest.Pytester) -> None:
    aged(make_gzip(pytester.path / "dumps" / "orders.sql.gz"), 14)
    result = run_checks("""
        name: t
        backups:
          - {name: dump, path: "dumps/*.sql.gz", gzip_integrity: true, max_age: {warn: 13h, crit: 36h}}
    """)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*backups dump: age of the newest backup is 14h, above the limit 13h*"])
