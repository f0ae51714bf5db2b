"""Metrics thresholds (runbooks: "error rate < 1 %", "5xx > 0.05 %", "cache hit rate > 40 %",
"active requests < 10"), from Prometheus, a JSON metrics endpoint or a `/metrics` exposition."""

from opsgate.check import check
from opsgate.judges.metrics import judge_metrics


@check("metrics", probe="opsgate.probes.metrics:probe")
def test_metrics(target, observe, verdict):
    judge_metrics(target, observe(), verdict)
    verdict.conclude()
