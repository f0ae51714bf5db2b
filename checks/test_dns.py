"""DNS (runbook: "check DNS: dig api.example.com")."""

from opsgate.check import check
from opsgate.judges.dns import judge_dns


@check("dns", probe="opsgate.probes.dns:probe")
def test_dns(target, observe, verdict):
    judge_dns(target, observe(), verdict)
    verdict.conclude()
