"""Rules for backup files: one exists, the newest is recent and not empty, enough are kept, it reads back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsgate.judges._format import format_count
from opsgate.units import format_duration, format_size

if TYPE_CHECKING:
    from opsgate.probes.backup import BackupFacts
    from opsgate.targets.backup import BackupTarget
    from opsgate.verdict import Verdict


def judge_backups(target: BackupTarget, facts: BackupFacts, verdict: Verdict) -> None:
    """Add a finding for every rule of the target the matching files break."""
    verdict.evidence("backup files", facts.evidence(target.show_newest))
    newest = facts.newest
    if newest is None:
        where = "" if facts.resolved == facts.pattern else f" (resolved to {facts.resolved})"
        verdict.fail(f"no backup matches {facts.pattern}{where}: the backup job has not run or writes "
                     "elsewhere; check the job's schedule and its log, and the path in the profile")
        return
    verdict.note("newest backup", newest.path)
    verdict.measure(
        "age of the newest backup", facts.age(newest), target.max_age, fmt=format_duration,
        advice=f"{newest.path} is the newest; the recovery point is older than the runbook allows: check "
               "that the backup job still runs (cron/systemd timer, its log), then trigger one by hand",
    )
    verdict.measure(
        "size of the newest backup", newest.size, target.min_size, floor=True, fmt=format_size,
        advice=f"{newest.path} is empty or truncated: the job probably died mid-write (disk full? "
               "killed? credentials?); read its log and run it again, keep the previous good backup",
    )
    judge_count(target, facts, verdict)
    judge_integrity(facts, verdict)


def judge_count(target: BackupTarget, facts: BackupFacts, verdict: Verdict) -> None:
    """How many matching files are kept, against the retention floor."""
    verdict.measure(
        "number of backups", len(facts.files), target.min_count, floor=True, fmt=format_count,
        advice="fewer backups are kept than the retention policy asks: check the rotation/cleanup job "
               "(it may delete too eagerly) and that every scheduled run produced a file",
    )


def judge_integrity(facts: BackupFacts, verdict: Verdict) -> None:
    """Every integrity read of the newest file came back clean."""
    newest = facts.newest
    for result in facts.integrity:
        if result.ok:
            verdict.note(result.method, "ok", f"ok ({result.detail})" if result.detail else "ok")
            continue
        listed = "; ".join(result.problems)
        verdict.fail(f"{result.method} of the newest backup {newest.path if newest else '?'} failed: "
                     f"{listed}: this backup cannot be restored; keep the previous good one, find why the "
                     "job writes corrupt files (disk errors, copying a live database without its backup "
                     "API, an interrupted upload), then run it again")
