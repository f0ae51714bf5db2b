"""Configuration (runbooks: "verify STRIPE_WEBHOOK_SECRET is set", `.env` against `.env.example`)."""

from opsgate.check import check
from opsgate.judges.config import judge_config


@check("config", probe="opsgate.probes.config:probe")
def test_config(target, observe, verdict):
    judge_config(target, observe(), verdict)
    verdict.conclude()
