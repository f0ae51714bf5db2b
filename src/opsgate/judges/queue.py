"""Rules for one queue: depth against its thresholds; on RabbitMQ, somebody must consume it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsgate.judges._format import format_count

if TYPE_CHECKING:
    from opsgate.probes.queue import QueueFacts
    from opsgate.targets.queue import QueueTarget
    from opsgate.units import Threshold
    from opsgate.verdict import Verdict


CELERY_HOW = "celery inspect ping / active"


def judge_depth(queue: str, messages: int, threshold: Threshold | None, verdict: Verdict, *,
                how: str = CELERY_HOW) -> None:
    """One queue's waiting messages against its depth threshold: `queues:` targets and the Celery
    lists of `redis:` targets (`queues: {name: threshold}`) are judged alike."""
    verdict.measure(
        f"queue {queue!r} depth", messages, threshold, fmt=format_count,
        advice=f"workers are not keeping up: check that they run and their error logs ({how}), "
               "then scale workers",
    )


def judge_queue(target: QueueTarget, facts: QueueFacts, verdict: Verdict) -> None:
    """Add a finding when the queue is too deep or (RabbitMQ) nobody consumes its messages."""
    verdict.evidence("queue", facts.evidence())
    judge_depth(facts.queue, facts.messages, target.depth, verdict,
                how=CELERY_HOW if facts.broker == "redis" else "rabbitmqctl list_consumers")
    if facts.consumers is None:
        return
    verdict.note("consumers", facts.consumers, str(facts.consumers))
    if facts.messages > 0 and facts.consumers == 0:
        verdict.fail(f"queue {facts.queue!r} has {facts.messages} message(s) and no consumers: nothing "
                     "processes it; start the workers (and check why they stopped or cannot connect)")
    elif target.consumers_min is not None and facts.consumers < target.consumers_min:
        verdict.fail(f"queue {facts.queue!r} has {facts.consumers} consumer(s), expected at least "
                     f"{target.consumers_min}: workers are down; check the worker service and its log")
