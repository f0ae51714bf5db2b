"""Profile model of `queues:` targets: Celery queues on Redis (LLEN) and RabbitMQ queues (AMQP)."""

from __future__ import annotations

from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from opsgate.targets import Target
from opsgate.targets._urls import checked_url, endpoint
from opsgate.units import NumberThreshold, Threshold

Broker = Literal["redis", "rabbitmq"]
_SCHEMES = ("redis", "rediss", "amqp", "amqps")


class QueueTarget(Target):
    """One named queue on a broker: its depth, and (RabbitMQ) whether anyone consumes it."""

    kind: ClassVar[str] = "queue"
    default_suites: ClassVar[tuple[str, ...]] = ("daily",)

    broker: str
    queue: str | None = None
    depth: NumberThreshold | None = Threshold(warn=50, crit=200)
    consumers_min: int | None = Field(default=None, ge=0)
    ca_bundle: str | None = None

    _broker = field_validator("broker")(
        lambda cls, v: checked_url(v, _SCHEMES, "broker (Redis for Celery, or AMQP for RabbitMQ)")
    )

    @model_validator(mode="after")
    def _applicable(self) -> QueueTarget:
        if self.consumers_min is not None and self.broker_kind == "redis":
            raise ValueError("'consumers_min' needs a RabbitMQ broker: Redis lists do not know consumers")
        if self.ca_bundle and not self.broker.startswith(("rediss://", "amqps://")):
            raise ValueError("'ca_bundle' applies to rediss:// and amqps:// brokers only")
        return self

    @property
    def queue_name(self) -> str:
        """The queue's name on the broker (the target name unless `queue` is given)."""
        return self.queue or self.name

    @property
    def broker_kind(self) -> Broker:
        return "redis" if urlsplit(self.broker).scheme in ("redis", "rediss") else "rabbitmq"

    @property
    def host_key(self) -> str:
        return endpoint(self.broker)
