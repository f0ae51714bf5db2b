"""The `queues:` target model: defaults, which broker a URL names, options that need a kind of broker."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from opsgate.targets.queue import QueueTarget
from opsgate.units import Threshold


def test_defaults() -> None:
    target = QueueTarget(name="celery", broker="redis://127.0.0.1:6379/0")
    assert target.depth == Threshold(warn=50, crit=200)
    assert target.consumers_min is None
    assert target.queue_name == "celery"
    named = QueueTarget(name="emails", broker="amqp://mq/", queue="mail.outgoing")
    assert named.queue_name == "mail.outgoing"


@pytest.mark.parametrize(("broker", "kind"), [
    ("redis://127.0.0.1/0", "redis"), ("rediss://cache.example/0", "redis"),
    ("amqp://guest:guest@127.0.0.1:5672/", "rabbitmq"), ("amqps://mq.example/", "rabbitmq"),
])
def test_the_broker_kind_follows_the_url_scheme(broker: str, kind: str) -> None:
    assert QueueTarget(name="q", broker=broker).broker_kind == kind


@pytest.mark.parametrize("consumers_min", [0, 2])
def test_consumers_min_on_rabbitmq(consumers_min: int) -> None:
    target = QueueTarget(name="q", broker="amqp://mq/", consumers_min=consumers_min)
    assert target.consumers_min == consumers_min


def test_consumers_min_is_not_negative() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        QueueTarget(name="q", broker="amqp://mq/", consumers_min=-1)


def test_consumers_min_needs_rabbitmq() -> None:
    with pytest.raises(ValidationError, match="'consumers_min' needs a RabbitMQ broker: Redis lists do not "
                                              "know consumers"):
        QueueTarget(name="q", broker="redis://cache/0", consumers_min=1)


@pytest.mark.parametrize("broker", ["rediss://cache/0", "amqps://mq/"])
def test_ca_bundle_with_a_tls_broker(broker: str) -> None:
    assert QueueTarget(name="q", broker=broker, ca_bundle="/etc/ssl/ca.pem").ca_bundle == "/etc/ssl/ca.pem"


@pytest.mark.parametrize("broker", ["redis://cache/0", "amqp://mq/"])
def test_ca_bundle_needs_a_tls_broker(broker: str) -> None:
    with pytest.raises(ValidationError, match="'ca_bundle' applies to rediss:// and amqps:// brokers only"):
        QueueTarget(name="q", broker=broker, ca_bundle="/etc/ssl/ca.pem")
