"""Redis (runbook: `redis-cli ping`, `info memory`, `dbsize`, hit rate, "Redis > 500 MB" scale trigger)."""

from opsgate.check import check
from opsgate.judges.redis import judge_redis


@check("redis", probe="opsgate.probes.redis:probe")
def test_redis(target, observe, verdict):
    judge_redis(target, observe(), verdict)
    verdict.conclude()
