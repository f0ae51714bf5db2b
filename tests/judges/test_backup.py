"""Backup judge rules on given facts: no match, age, size, count and integrity findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opsgate.judges.backup import judge_backups
from opsgate.probes.backup import BackupFacts, BackupFile, Integrity
from opsgate.targets.backup import BackupTarget
from opsgate.verdict import Verdict

NOW = 1_700_000_000.0
HOUR = 3600.0


def findings(files: list[tuple[str, int, float]], integrity: tuple[Integrity, ...] = (),
             **fields: Any) -> list[tuple[str, str]]:
    target = BackupTarget.model_validate({"name": "sqlite", "path": "data/*.db.backup", **fields})
    facts = BackupFacts(
        pattern=target.path, resolved="/srv/app/data/*.db.backup",
        files=tuple(BackupFile(path, size, NOW - age_hours * HOUR) for path, size, age_hours in files),
        integrity=integrity, observed_at=NOW,
    )
    verdict = Verdict(target=target)
    judge_backups(target, facts, verdict)
    return [(f.level, f.message) for f in verdict.findings]


def test_a_fresh_non_empty_backup_has_no_findings() -> None:
    assert findings([("/srv/app/data/cache.db.backup", 4096, 3)]) == []


def test_no_match_names_the_pattern_and_where_it_resolved() -> None:
    assert findings([]) == [(
        "crit",
        "no backup matches data/*.db.backup (resolved to /srv/app/data/*.db.backup): the backup job has "
        "not run or writes elsewhere; check the job's schedule and its log, and the path in the profile",
    )]


def test_newest_past_the_rpo_fails_and_older_files_do_not_matter() -> None:
    found = findings([("/d/old.db.backup", 4096, 90), ("/d/newer.db.backup", 4096, 40)])
    assert found == [(
        "crit",
        "age of the newest backup is 40h, above the limit 36h (crit): /d/newer.db.backup is the newest; "
        "the recovery point is older than the runbook allows: check that the backup job still runs "
        "(cron/systemd timer, its log), then trigger one by hand",
    )]


def test_age_warn_only_is_a_warning() -> None:
    [(level, message)] = findings([("/d/a.db.backup", 10, 20)], max_age={"warn": "13h", "crit": "36h"})
    assert level == "warn"
    assert message.startswith("age of the newest backup is 20h, above the limit 13h (warn)")


def test_an_empty_newest_backup_fails() -> None:
    [(level, message)] = findings([("/d/b.db.backup", 0, 1), ("/d/a.db.backup", 5000, 25)])
    assert level == "crit"
    assert message.startswith(
        "size of the newest backup is 0B, below the minimum 1B (crit): /d/b.db.backup is empty or truncated")


def test_retention_floor() -> None:
    [(level, message)] = findings([("/d/a", 10, 1), ("/d/b", 10, 25)], min_count={"warn": 7, "crit": 2})
    assert level == "warn" and message.startswith("number of backups is 2, below the minimum 7 (warn): fewer "
                                                  "backups are kept than the retention policy asks")


def test_integrity_problems_are_listed_with_the_file() -> None:
    broken = Integrity("PRAGMA quick_check", False, ("Page 124: btreeInitPage() returns error code 11",
                                                     "Page 123: btreeInitPage() returns error code 11"))
    [(level, message)] = findings([("/d/a.db.backup", 10, 1)], (broken,), sqlite_integrity=True)
    assert level == "crit"
    assert message.startswith(
        "PRAGMA quick_check of the newest backup /d/a.db.backup failed: Page 124: btreeInitPage() returns "
        "error code 11; Page 123: btreeInitPage() returns error code 11: this backup cannot be restored; "
        "keep the previous good one")


def test_checks_can_be_switched_off() -> None:
    assert findings([("/d/a", 0, 100)], max_age=None, min_size=None) == []


@pytest.mark.parametrize(("pattern", "where"), [
    ("/srv/app/data/*.db.backup", ""),
    # "." sorts before "/": the pattern and where it resolved differ, whichever sorts first.
    ("./data/*.db.backup", " (resolved to /srv/app/data/*.db.backup)"),
])
def test_where_the_pattern_resolved_is_named_only_when_it_differs(pattern: str, where: str) -> None:
    target = BackupTarget.model_validate({"name": "sqlite", "path": pattern})
    facts = BackupFacts(pattern=target.path, resolved=target.resolved_pattern(Path("/srv/app")), files=(),
                        observed_at=NOW)
    verdict = Verdict(target=target)
    judge_backups(target, facts, verdict)
    assert [f.message for f in verdict.findings] == [
        f"no backup matches {pattern}{where}: the backup job has not run or writes elsewhere; "
        "check the job's schedule and its log, and the path in the profile"]


def test_a_clean_integrity_read_is_reported_with_its_detail() -> None:
    target = BackupTarget.model_validate({"name": "sqlite", "path": "data/*.db", "sqlite_integrity": True})
    clean = (Integrity("PRAGMA quick_check", True, detail="12 tables"), Integrity("gzip read", True))
    facts = BackupFacts(pattern=target.path, resolved="/d/*.db", files=(BackupFile("/d/a.db", 10, NOW),),
                        integrity=clean, observed_at=NOW)
    verdict = Verdict(target=target)
    judge_backups(target, facts, verdict)
    shown = {m.name: m.display for m in verdict.measurements}
    assert shown["PRAGMA quick_check"] == "ok (12 tables)"
    assert shown["gzip read"] == "ok"


def test_a_clean_integrity_read_does_not_hide_a_later_failed_one() -> None:
    results = (Integrity("gzip read", True), Integrity("tar listing", False, ("unexpected end of data",)))
    [(level, message)] = findings([("/d/a.tar.gz", 10, 1)], results)
    assert level == "crit"
    assert message.startswith("tar listing of the newest backup /d/a.tar.gz failed: unexpected end of data")
