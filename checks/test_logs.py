"""Logs (runbooks: 401/403/429 counts, `ERROR` lines, "[ERROR] Configuration validation failed")."""

from opsgate.check import check
from opsgate.judges.log import judge_logs


@check("logs", probe="opsgate.probes.log:probe")
def test_logs(target, observe, verdict):
    judge_logs(target, observe(), verdict)
    verdict.conclude()
