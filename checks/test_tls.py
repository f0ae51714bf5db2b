"""Certificates (runbook: "check certificate expiry dates weekly"), incl. STARTTLS endpoints."""

from opsgate.check import check
from opsgate.judges.tls import judge_tls


@check("tls", probe="opsgate.probes.tls:probe")
def test_tls(target, observe, verdict):
    judge_tls(target, observe(), verdict)
    verdict.conclude()
