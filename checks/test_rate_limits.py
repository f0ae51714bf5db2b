"""Rate limits (runbooks: PinCart "30 req/min per IP", Kuya Comps `RATE_LIMIT_PER_MINUTE`); intrusive."""

from opsgate.check import check
from opsgate.judges.rate_limit import judge_rate_limit


@check("rate_limits", probe="opsgate.probes.rate_limit:probe", intrusive=True)
def test_rate_limits(target, observe, verdict):
    judge_rate_limit(target, observe(), verdict)
    verdict.conclude()
