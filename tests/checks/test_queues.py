"""The queue check end to end: a Celery list on a throwaway Redis, a real RabbitMQ queue without consumers."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pika
import pytest

from opsgate.errors import ProbeConfigError, ProbeTimeout, ProtocolFailure, Unreachable
from opsgate.probes.queue import probe
from opsgate.targets.queue import QueueTarget
from tests.conftest import RunChecks, free_port
from tests.servers import RedisServer
from tests.servers.delay import DelayingProxy

AMQP = "amqp://guest:guest@127.0.0.1:5672/"


@pytest.fixture(scope="module")
def filled_queue() -> Iterator[str]:
    """A uniquely named queue on the machine's RabbitMQ with 120 messages and no consumer; it is
    deleted after the module (and expires by itself within 10 minutes should the deletion fail)."""
    name = f"opsgate-test-{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(AMQP))
    channel = connection.channel()
    channel.queue_declare(name, arguments={"x-expires": 600_000})
    channel.confirm_delivery()
    for i in range(120):
        channel.basic_publish("", name, str(i).encode())
    yield name
    channel.queue_delete(name)
    connection.close()


def test_rabbitmq_counts_by_passive_declare(filled_queue: str) -> None:
    facts = probe(QueueTarget(name="q", queue=filled_queue, broker=AMQP), 5)
    assert (facts.messages, facts.consumers) == (120, 0)


def test_missing_rabbitmq_queue_is_not_created() -> None:
    name = f"opsgate-missing-{uuid.uuid4().hex[:8]}"
    for _ in range(2):  # a second look proves the first did not declare it
        with pytest.raises(ProtocolFailure, match=rf"queue '{name}' does not exist on vhost '/'"):
            probe(QueueTarget(name=name, broker=AMQP), 5)


def test_wrong_rabbitmq_password_is_a_config_error() -> None:
    with pytest.raises(ProbeConfigError, match="refused the profile's credentials"):
        probe(
            QueueTarget(
                name="q",
                queue="amq.rabbitmq.reply-to",
                broker="amqp://guest:not-the-password@127.0.0.1:5672/",
            ),
            5,
        )


def test_closed_amqp_port_is_connection_refused() -> None:
    with pytest.raises(Unreachable, match="connection refused: is RabbitMQ running"):
        probe(QueueTarget(name="q", broker=f"amqp://guest:guest@127.0.0.1:{free_port()}/"), 5)


def test_amqp_errors_mentioning_111_are_not_connection_refused() -> None:
    with pytest.raises(Unreachable, match="DNS lookup failed") as raised:
        probe(QueueTarget(name="q", broker="amqp://guest:guest@mq111.invalid:5672/"), 5)
    assert "refused" not in str(raised.value)
    from pika import exceptions as amqp

    from opsgate.probes.queue import _connection_failure

    lost = _connection_failure(amqp.AMQPConnectionError("stream lost after 111 bytes"), "rabbitmq x", 5)
    assert isinstance(lost, Unreachable) and "refused" not in str(lost)


def test_rabbitmq_queue_with_messages_and_no_consumers_fails(
    run_checks: RunChecks, filled_queue: str
) -> None:
    result = run_checks(f"""
        name: t
        queues:
          - {{name: orders, queue: {filled_queue}, broker: "{AMQP}", depth: {{warn: 100, crit: 1000}}}}
          - {{name: reply, queue: amq.rabbitmq.reply-to, broker: "{AMQP}"}}
    """)
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*queues orders: 1 problem(s):",
            f"*- queue '{filled_queue}' has 120 message(s) and no consumers: nothing processes it*",
            f"*- (warn) queue '{filled_queue}' depth is 120, above the limit 100 (warn)*",
        ]
    )


def test_celery_queue_on_redis_past_crit_fails(
    run_checks: RunChecks, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with RedisServer(tmp_path_factory.mktemp("celery")) as server:
        server.client().rpush("celery", *range(201))
        result = run_checks(
            f"""
            name: t
            queues:
              - {{name: celery, broker: "{server.url}"}}
              - {{name: empty, queue: mail, broker: "{server.url}"}}
        """,
            "-m",
            "daily",
        )
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*queues celery: queue 'celery' depth is 201, above the limit 200 (crit): "
            "workers are not keeping up*celery inspect ping*"
        ]
    )


def test_an_unknown_vhost_is_a_config_error_by_its_reply_code() -> None:
    with pytest.raises(ProbeConfigError, match="access to the vhost was denied"):
        probe(QueueTarget(name="q", broker="amqp://guest:guest@127.0.0.1:5672/opsgate-no-such-vhost"), 5)


def test_a_port_that_never_speaks_amqp_times_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        with pytest.raises(ProbeTimeout, match=rf"rabbitmq 127.0.0.1:{port}: no AMQP connection within 1s"):
            probe(QueueTarget(name="q", broker=f"amqp://guest:guest@127.0.0.1:{port}/"), 1)


def test_rabbitmq_steps_together_respect_the_probe_timeout() -> None:
    """Behind a hop that holds each client chunk 0.5 s, the handshake (3 or 4 chunks, as TCP
    coalesces them) fits a 2.25 s timeout; channel.open and the declare then overrun it (5 chunks
    at least, 2.5 s), so the probe stops."""
    with DelayingProxy(5672, 0.5) as slow:
        slow_broker = f"amqp://guest:guest@127.0.0.1:{slow.port}/"
        with pytest.raises(ProbeTimeout, match=rf"rabbitmq 127.0.0.1:{slow.port}: (the broker did not answer "
                                               r"the passive declare|no AMQP connection) within .*2.25s"):
            probe(QueueTarget(name="q", queue="amq.rabbitmq.reply-to", broker=slow_broker), 2.25)
        facts = probe(QueueTarget(name="q", queue="amq.rabbitmq.reply-to", broker=slow_broker), 5)
    assert facts.messages == 0
