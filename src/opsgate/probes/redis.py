"""Redis probe: PING, INFO, DBSIZE and LLEN only (read commands), facts without judging."""

from __future__ import annotations

import inspect
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from opsgate.deadline import Deadline
from opsgate.errors import (
    ProbeConfigError,
    ProbeFailure,
    ProbeTimeout,
    ProtocolFailure,
    Unreachable,
)
from opsgate.probes.cutoff import cut_off_at
from opsgate.probes.transport import network_failure, root_cause
from opsgate.targets._urls import endpoint
from opsgate.targets.redis import RedisTarget

# No CLIENT SETINFO on connect: the check sends read commands only (redis-py >= 8 spells it driver_info).
_NO_CLIENT_SETINFO: dict[str, Any] = (
    {"driver_info": None}
    if "driver_info" in inspect.signature(redis.connection.AbstractConnection.__init__).parameters
    else {"lib_name": None, "lib_version": None}
)
# The INFO fields the evidence attachment shows (the judge may read any field of `info`).
_EVIDENCE_FIELDS = (
    "redis_version", "role", "uptime_in_seconds", "connected_clients", "maxclients", "blocked_clients",
    "used_memory", "used_memory_human", "maxmemory", "maxmemory_human", "maxmemory_policy",
    "mem_fragmentation_ratio", "keyspace_hits", "keyspace_misses", "evicted_keys",
    "rejected_connections", "rdb_last_bgsave_status", "rdb_last_save_time", "aof_enabled",
    "aof_last_write_status", "master_link_status", "master_last_io_seconds_ago",
    "master_sync_in_progress", "connected_slaves",
)


@dataclass(frozen=True)
class RedisFacts:
    """What one Redis server reported: PING time, INFO fields, the URL's DBSIZE, list lengths."""

    endpoint: str
    db: int
    ping_seconds: float
    info: dict[str, Any]
    dbsize: int
    queue_lengths: dict[str, int] = field(default_factory=dict)
    observed_at: float = field(default_factory=time.time)

    def number(self, key: str) -> float | None:
        """An INFO field as a number, or None when the server does not report it."""
        value = self.info.get(key)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    def evidence(self) -> str:
        """The INFO fields an on-call engineer looks at first, as `redis-cli info` prints them."""
        lines = [f"# {self.endpoint} db{self.db}  PING {self.ping_seconds * 1000:.1f} ms  "
                 f"DBSIZE {self.dbsize}"]
        lines += [f"{key}:{self.info[key]}" for key in _EVIDENCE_FIELDS if key in self.info]
        lines += [f"LLEN {name}: {length}" for name, length in self.queue_lengths.items()]
        return "\n".join(lines)


def probe(target: RedisTarget, timeout: float) -> RedisFacts:
    """PING, INFO, DBSIZE and LLEN of the target's queues, all within `timeout` seconds together."""
    where = f"redis {endpoint(target.url, 6379)}"
    deadline = Deadline(timeout)
    with connect(target.url, deadline, where, ca_bundle=target.ca_bundle, insecure=target.insecure) as client:
        started = time.perf_counter()
        _run(client, deadline, "PING", client.ping)
        ping_seconds = time.perf_counter() - started
        info = _run(client, deadline, "INFO", client.info)
        dbsize = int(_run(client, deadline, "DBSIZE", client.dbsize))
        lengths = _lengths(client, deadline, target.queues)
    return RedisFacts(endpoint=where.removeprefix("redis "), db=_db_of(target.url),
                      ping_seconds=ping_seconds, info=info, dbsize=dbsize, queue_lengths=lengths)


def list_lengths(url: str, names: list[str], timeout: float, ca_bundle: str | None = None) -> dict[str, int]:
    """LLEN of each named list (Celery queues on Redis); a missing key is an empty queue."""
    where = f"redis {endpoint(url, 6379)}"
    deadline = Deadline(timeout)
    with connect(url, deadline, where, ca_bundle=ca_bundle) as client:
        return _lengths(client, deadline, names)


def _lengths(client: redis.Redis, deadline: Deadline, names: Iterable[str]) -> dict[str, int]:
    return {name: int(_run(client, deadline, f"LLEN {name}", lambda n=name: client.llen(n)))
            for name in names}


def _run(client: redis.Redis, deadline: Deadline, what: str, command: Callable[[], Any]) -> Any:
    """One command, its reply awaited no longer than what is left of the probe's time."""
    _bound(client, deadline.budget(what))
    return command()


def _bound(client: redis.Redis, seconds: float) -> None:
    """Set the single connection's read timeout. redis-py has no per-command timeout, so this sets
    the socket's timeout and the one the RESP2 reader restores after its own reads."""
    connection = client.connection
    assert connection is not None  # a single-connection client has it from the start
    connection.socket_timeout = seconds
    connection.update_current_socket_timeout(seconds)
    buffer = getattr(getattr(connection, "_parser", None), "_buffer", None)
    if buffer is not None:
        buffer.socket_timeout = seconds


@contextmanager
def connect(
    url: str, deadline: Deadline, where: str, *, ca_bundle: str | None = None, insecure: bool = False,
) -> Iterator[redis.Redis]:
    """A client with one connection and no retries, connected within what is left of `deadline`;
    driver errors inside the block come out as opsgate probe errors."""
    options: dict[str, Any] = {}
    if url.startswith("rediss://"):
        if ca_bundle is not None and not Path(ca_bundle).is_file():
            raise ProbeConfigError(f"{where}: ca_bundle {ca_bundle} does not exist")
        options = {"ssl_ca_certs": ca_bundle, "ssl_cert_reqs": "none" if insecure else "required"}
    client: redis.Redis | None = None
    cut_off: Callable[[], bool] = bool  # bool() is False: nothing is cut before there is a socket
    try:
        # A single-connection client connects (and authenticates) here, so errors count too.
        budget = deadline.budget("connecting")
        client = redis.Redis.from_url(
            url, socket_timeout=budget, socket_connect_timeout=budget, retry=Retry(NoBackoff(), 0),
            protocol=2, single_connection_client=True, **_NO_CLIENT_SETINFO, **options,
        )
        # Each command's timeout bounds a silent server; a reply trickling in a byte at a time
        # resets a socket timeout on every read, so the connection is also cut at the deadline.
        with cut_off_at(deadline, client.connection._sock.fileno()) as cut_off:  # type: ignore[union-attr]
            yield client
    except redis.RedisError as exc:
        # A client refused at connect time: redis-py's pool reports only that the connection "has
        # data"; what the server said is the reason.
        said = _greeting(url, deadline) if client is None and root_cause(exc) is None else None
        raise failure(exc, where, deadline.seconds, cut_off=cut_off(), refusal=said) from None
    finally:
        if client is not None:
            with suppress(redis.RedisError):
                client.close()


def failure(
    exc: redis.RedisError, where: str, timeout: float, *, cut_off: bool = False, refusal: str | None = None,
) -> ProbeFailure | ProbeConfigError:
    """The opsgate error for a redis-py error, by its class, the server's error reply or the errno
    behind it (never by the driver's wording), with what to do about it. `cut_off`: the connection
    was cut at the deadline, so whatever the driver saw, time ran out. `refusal`: the error reply
    the server sends a new connection it refuses."""
    text = str(exc)
    if isinstance(exc, redis.AuthenticationError | redis.AuthenticationWrongNumberOfArgsError):
        return ProbeConfigError(
            f"{where}: authentication failed ({text}): the password in the profile's url is wrong or "
            "missing, or the server's requirepass/ACL changed; update the url (e.g. REDIS_URL)"
        )
    if isinstance(exc, redis.TimeoutError) or cut_off:
        return ProbeTimeout(f"{where}: no complete answer within the probe's {timeout:g}s (the server "
                            "hangs or trickles, is blocked by a slow command, or a firewall drops "
                            "packets); check SLOWLOG and the host")
    if type(exc) is redis.ConnectionError and _MAX_CLIENTS in (text, refusal):
        return ProtocolFailure(f"{where}: connection limit reached: the server refused the connection "
                               f"with '{_MAX_CLIENTS}'; find idle or leaking clients "
                               "with CLIENT LIST, or raise maxclients")
    if isinstance(exc, redis.ResponseError):
        return ProbeConfigError(f"{where}: the server refused a read command: {text}; the profile's user "
                                "needs +ping +info +dbsize +llen (or the commands are renamed)")
    if refusal is not None:
        return Unreachable(f"{where}: the server refused the connection: {refusal}")
    return _connection_failure(exc, where)


# The server's error reply when maxclients is reached (without its "ERR " code, as redis-py
# reports a reply to a command).
_MAX_CLIENTS = "max number of clients reached"


def _greeting(url: str, deadline: Deadline) -> str | None:
    """The error reply a Redis server sends unprompted to a connection it refuses (then closes),
    without its error code; None when it says nothing, or over TLS (not read here)."""
    parts = urlsplit(url)
    if parts.scheme != "redis":
        return None
    address = (parts.hostname or "localhost", parts.port or 6379)
    with suppress(OSError), socket.create_connection(
            address, timeout=max(0.05, min(deadline.remaining(), 1.0))) as sock:
        line = sock.recv(512).split(b"\r\n", 1)[0].decode(errors="replace")
        return line[1:].split(" ", 1)[-1] if line.startswith("-") else None
    return None


def _connection_failure(exc: redis.RedisError, where: str) -> ProbeFailure:
    found = network_failure(exc, where, where.removeprefix("redis "), "redis-server")
    if found is not None:
        return found
    cause = root_cause(exc)
    if _closed_by_server(exc) or isinstance(cause, ConnectionResetError | BrokenPipeError):
        return Unreachable(f"{where}: the server closed the connection mid-check ({exc}); "
                           "it may be restarting or crashing: check its log and uptime")
    return Unreachable(f"{where}: {type(exc).__name__}: {exc}")


def _closed_by_server(exc: redis.RedisError) -> bool:
    """Whether redis-py saw the socket end (its reader raises its own constant message)."""
    from redis._parsers.socket import SERVER_CLOSED_CONNECTION_ERROR

    return type(exc) is redis.ConnectionError and str(exc) == SERVER_CLOSED_CONNECTION_ERROR


def _db_of(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0
