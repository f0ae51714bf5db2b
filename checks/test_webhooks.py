"""Webhook secrets (runbook: "verify STRIPE_WEBHOOK_SECRET matches"). Sends signed test events:
marked `intrusive`."""

from opsgate.check import check
from opsgate.judges.webhook import judge_webhook


@check("webhooks", probe="opsgate.probes.webhook:probe", intrusive=True)
def test_webhooks(target, observe, verdict):
    judge_webhook(target, observe(), verdict)
    verdict.conclude()
