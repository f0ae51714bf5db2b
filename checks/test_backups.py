"""Backups (runbooks: RPO "> 36h since backup" alerts, SQLite `data/*.db.backup`, "review backup success")."""

from opsgate.check import check
from opsgate.judges.backup import judge_backups


@check("backups", probe="opsgate.probes.backup:probe")
def test_backups(target, observe, verdict):
    judge_backups(target, observe(), verdict)
    verdict.conclude()
