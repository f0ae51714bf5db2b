"""Redis probe: PING, INFO, DBSIZE and LLEN only (read commands), facts without judging."""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from opsgate.errors import (
    ProbeConfigError,
    ProbeFailure,
    ProbeTimeout,
    ProtocolFailure,
    Unreachable,
)
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
    """PING, INFO, DBSIZE and LLEN of the target's queues within `timeout` seconds per call."""
    where = f"redis {endpoint(target.url, 6379)}"
    with connect(target.url, timeout, where, ca_bundle=target.ca_bundle, insecure=target.insecure) as client:
        started = time.perf_counter()
        client.ping()
        ping_seconds = time.perf_counter() - started
        info = client.info()
        dbsize = int(client.dbsize())
        lengths = {name: int(client.llen(name)) for name in target.queues}
    return RedisFacts(endpoint=where.removeprefix("redis "), db=_db_of(target.url),
                      ping_seconds=ping_seconds, info=info, dbsize=dbsize, queue_lengths=lengths)


def list_lengths(url: str, names: list[str], timeout: float, ca_bundle: str | None = None) -> dict[str, int]:
    """LLEN of each named list (Celery queues on Redis); a missing key is an empty queue."""
    where = f"redis {endpoint(url, 6379)}"
    with connect(url, timeout, where, ca_bundle=ca_bundle) as client:
        return {name: int(client.llen(name)) for name in names}


@contextmanager
def connect(
    url: str, timeout: float, where: str, *, ca_bundle: str | None = None, insecure: bool = False,
) -> Iterator[redis.Redis]:
    """A client with one connection, no retries and `timeout` on connect and every reply;
    driver errors inside the block come out as opsgate probe errors."""
    options: dict[str, Any] = {}
    if url.startswith("rediss://"):
        if ca_bundle is not None and not Path(ca_bundle).is_file():
            raise ProbeConfigError(f"{where}: ca_bundle {ca_bundle} does not exist")
        options = {"ssl_ca_certs": ca_bundle, "ssl_cert_reqs": "none" if insecure else "required"}
    client: redis.Redis | None = None
    try:
        # A single-connection client connects (and authenticates) here, so errors count too.
        client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0),
            protocol=2, single_connection_client=True, **_NO_CLIENT_SETINFO, **options,
        )
        yield client
    except redis.RedisError as exc:
        raise failure(exc, where, timeout) from None
    finally:
        if client is not None:
            with suppress(redis.RedisError):
                client.close()


def failure(exc: redis.RedisError, where: str, timeout: float) -> ProbeFailure | ProbeConfigError:
    """The opsgate error for a redis-py error, with what to do about it."""
    text = str(exc)
    if isinstance(exc, redis.AuthenticationError) or "WRONGPASS" in text or "NOAUTH" in text:
        return ProbeConfigError(
            f"{where}: authentication failed ({text}): the password in the profile's url is wrong or "
            "missing, or the server's requirepass/ACL changed; update the url (e.g. REDIS_URL)"
        )
    if isinstance(exc, redis.TimeoutError):
        return ProbeTimeout(f"{where}: no answer within {timeout:g}s (the server hangs, is blocked by a "
                            "slow command, or a firewall drops packets); check SLOWLOG and the host")
    if "max number of clients" in text:
        return ProtocolFailure(f"{where}: connection limit reached: the server refused the connection "
                               "with 'max number of clients reached'; find idle or leaking clients "
                               "with CLIENT LIST, or raise maxclients")
    if isinstance(exc, redis.ResponseError):
        return ProbeConfigError(f"{where}: the server refused a read command: {text}; the profile's user "
                                "needs +ping +info +dbsize +llen (or the commands are renamed)")
    return _connection_failure(exc, where)


def _connection_failure(exc: redis.RedisError, where: str) -> ProbeFailure:
    found = network_failure(exc, where, where.removeprefix("redis "), "redis-server")
    if found is not None:
        return found
    if "Connection refused" in str(exc):
        return Unreachable(f"{where}: connection refused: is redis-server running and listening there?")
    if "closed by server" in str(exc) or isinstance(root_cause(exc), ConnectionResetError):
        return Unreachable(f"{where}: the server closed the connection mid-check ({exc}); "
                           "it may be restarting or crashing: check its log and uptime")
    return Unreachable(f"{where}: {type(exc).__name__}: {exc}")


def _db_of(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0
