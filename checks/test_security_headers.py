"""Security headers (runbook: `curl -I https://pincart.me`, expect 200 with security headers)."""

from opsgate.check import check
from opsgate.judges.security_headers import judge_security_headers


@check("http", probe="opsgate.probes.http:fetch", applies=lambda t: t.header_policy is not None,
       suites=("daily", "weekly"))
def test_security_headers(target, observe, verdict):
    judge_security_headers(target, observe(), verdict)
    verdict.conclude()
