"""Queues (runbook: "Celery queue > 50 pending" means workers are behind; RabbitMQ queues need consumers)."""

from opsgate.check import check
from opsgate.judges.queue import judge_queue


@check("queues", probe="opsgate.probes.queue:probe")
def test_queues(target, observe, verdict):
    judge_queue(target, observe(), verdict)
    verdict.conclude()
