"""Latency SLOs (runbooks: "P95 latency < 500 ms for API, < 3 s for /discover", "P99 > 5 s warning")."""

from opsgate.check import check
from opsgate.judges.latency import judge_latency


@check("latency", probe="opsgate.probes.latency:probe")
def test_latency(target, observe, verdict):
    judge_latency(target, observe(), verdict)
    verdict.conclude()
