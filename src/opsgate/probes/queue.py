"""Queue probe: a Celery queue's LLEN on Redis, or a RabbitMQ queue's counts by passive declare.

Both are read-only: LLEN reads a list; a passive queue.declare only asks whether the queue exists
and how many messages and consumers it has, and never creates it.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from opsgate.deadline import Deadline
from opsgate.errors import ProbeConfigError, ProbeFailure, ProbeTimeout, ProtocolFailure, Unreachable
from opsgate.probes.cutoff import cut_off_at
from opsgate.probes.transport import client_tls
from opsgate.targets._urls import endpoint
from opsgate.targets.queue import QueueTarget


@dataclass(frozen=True)
class QueueFacts:
    """How many messages wait in one queue, and (RabbitMQ) how many consumers it has."""

    broker: str  # "redis" or "rabbitmq"
    endpoint: str
    queue: str
    messages: int
    consumers: int | None = None

    def evidence(self) -> str:
        consumers = "" if self.consumers is None else f", {self.consumers} consumer(s)"
        return f"{self.broker} {self.endpoint} queue {self.queue!r}: {self.messages} message(s){consumers}"


def probe(target: QueueTarget, timeout: float) -> QueueFacts:
    """The depth of the target's queue (and its consumers on RabbitMQ) within `timeout` seconds."""
    if target.broker_kind == "redis":
        from opsgate.probes.redis import list_lengths

        lengths = list_lengths(target.broker, [target.queue_name], timeout, ca_bundle=target.ca_bundle)
        return QueueFacts(broker="redis", endpoint=target.host_key, queue=target.queue_name,
                          messages=lengths[target.queue_name])
    return _rabbitmq(target, timeout)


def _rabbitmq(target: QueueTarget, timeout: float) -> QueueFacts:
    """Connect, open a channel, declare passively and close, all within `timeout` together."""
    import pika
    from pika import exceptions as amqp
    from pika.adapters.utils.connection_workflow import AMQPConnectorException

    deadline = Deadline(timeout)
    where = f"rabbitmq {endpoint(target.broker, 5672)}"
    parameters = _parameters(target, deadline.budget("connecting"), where)
    try:
        connection = pika.BlockingConnection(parameters)
    # pika lets a failed DNS lookup out as a bare gaierror, a handshake timeout as a connector error
    except (amqp.AMQPError, AMQPConnectorException, OSError) as exc:
        raise _connection_failure(exc, where, timeout) from None
    # pika's blocking RPCs take no timeout: the rest of the probe's time is bounded by cutting the
    # connection's socket (reached through pika's private transport) when it runs out.
    with cut_off_at(deadline, connection._impl._transport._sock.fileno()) as cut_off:
        try:
            declared = _declare(connection, target, where, parameters.virtual_host)
        except amqp.AMQPError as exc:
            if cut_off():
                raise ProbeTimeout(f"{where}: the broker did not answer the passive declare within the "
                                   f"probe's {timeout:g}s: it is overloaded, blocked or stalled") from None
            raise _connection_failure(exc, where, timeout) from None
        finally:
            with suppress(amqp.AMQPError):
                if connection.is_open:
                    connection.close()
    return QueueFacts(broker="rabbitmq", endpoint=where.split(" ", 1)[1], queue=target.queue_name,
                      messages=declared.method.message_count, consumers=declared.method.consumer_count)


def _declare(connection: Any, target: QueueTarget, where: str, vhost: str) -> Any:
    """The passive queue.declare's answer; a refusal by the broker as the finding it means."""
    from pika import exceptions as amqp

    try:
        return connection.channel().queue_declare(queue=target.queue_name, passive=True)
    except amqp.ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            raise ProtocolFailure(
                f"{where}: queue {target.queue_name!r} does not exist on vhost {vhost!r}: its consumers "
                "never declared it, or the name or vhost in the profile is wrong "
                "(rabbitmqctl list_queues -p VHOST)"
            ) from None
        raise ProbeConfigError(f"{where}: the broker refused the passive declare of "
                               f"{target.queue_name!r}: {exc.reply_code} {exc.reply_text}") from None


def _parameters(target: QueueTarget, timeout: float, where: str):  # noqa: ANN202 - pika.URLParameters
    import pika

    parameters = pika.URLParameters(target.broker)
    parameters.socket_timeout = timeout
    parameters.stack_timeout = timeout
    parameters.blocked_connection_timeout = timeout
    parameters.connection_attempts = 1
    parameters.retry_delay = 0
    if urlsplit(target.broker).scheme == "amqps":
        context = client_tls(where, target.ca_bundle)
        parameters.ssl_options = pika.SSLOptions(context, urlsplit(target.broker).hostname)
    return parameters


# AMQP reply codes a broker closes a connection with (AMQP 0-9-1 constants).
_ACCESS_REFUSED, _NOT_ALLOWED = 403, 530


def _connection_failure(exc: Exception, where: str, timeout: float) -> ProbeFailure | ProbeConfigError:
    """The opsgate error for a pika error, by exception class, AMQP reply code and the errno of
    the socket error behind it (pika nests them in its connection workflow errors)."""
    from pika import exceptions as amqp
    from pika.adapters.utils.connection_workflow import AMQPConnectorStackTimeout

    nested = list(_nested(exc))
    codes = {e.reply_code for e in nested if isinstance(e, amqp.ConnectionClosed)}
    refused = (amqp.ProbableAuthenticationError, amqp.AuthenticationError)
    if any(isinstance(e, refused) for e in nested) or _ACCESS_REFUSED in codes:
        return ProbeConfigError(f"{where}: the broker refused the profile's credentials: fix the user and "
                                "password in the broker url")
    if any(isinstance(e, amqp.ProbableAccessDeniedError) for e in nested) or _NOT_ALLOWED in codes:
        return ProbeConfigError(f"{where}: access to the vhost was denied: check the vhost in the broker "
                                "url and the user's permissions (rabbitmqctl list_permissions)")
    cause = next((e for e in nested if isinstance(e, OSError)), None)
    if cause is not None and cause.errno == errno.ECONNREFUSED:
        return Unreachable(f"{where}: connection refused: is RabbitMQ running and listening there?")
    if isinstance(cause, socket.gaierror):
        return Unreachable(f"{where}: DNS lookup failed: {cause.strerror} (check the host name)")
    if isinstance(cause, TimeoutError) or any(isinstance(e, AMQPConnectorStackTimeout) for e in nested):
        return ProbeTimeout(f"{where}: no AMQP connection within {timeout:g}s: the broker is down, blocked "
                            "or a firewall drops packets")
    return Unreachable(f"{where}: {type(exc).__name__}: {exc}")


def _nested(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception behind it: pika keeps them in exception args and in `.exception` /
    `.exceptions` of its connection workflow errors rather than as a cause."""
    pending: list[object] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(current.args)
        pending.append(getattr(current, "exception", None))
        pending.extend(getattr(current, "exceptions", None) or ())
        pending.append(current.__cause__ or current.__context__)
