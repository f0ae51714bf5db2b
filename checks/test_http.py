"""HTTP health (runbook: `curl /health`, expect 200 and `{"status": "ok", "redis": true}`)."""

from opsgate.check import check
from opsgate.judges.http import judge_response


@check("http", probe="opsgate.probes.http:fetch")
def test_http(target, observe, verdict):
    judge_response(target, observe(), verdict)
    verdict.conclude()
