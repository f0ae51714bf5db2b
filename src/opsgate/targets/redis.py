"""Profile model of `redis:` targets: reachability, memory, clients, hit rate, persistence."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from opsgate.targets import TlsClientTarget
from opsgate.targets._urls import checked_url, endpoint
from opsgate.units import (
    DurationThreshold,
    NumberThreshold,
    RatioFloor,
    RatioThreshold,
    SizeThreshold,
    Threshold,
)

REDIS_SCHEMES = ("redis", "rediss")


class RedisTarget(TlsClientTarget):
    """One Redis server (or one logical database of it), judged from PING, INFO, DBSIZE and LLEN."""

    kind: ClassVar[str] = "redis"
    default_suites: ClassVar[tuple[str, ...]] = ("smoke", "daily")

    url: str
    ping: DurationThreshold | None = Threshold(warn=0.1, crit=1.0)
    memory_ratio: RatioThreshold | None = Threshold(warn=0.8, crit=0.95)
    used_memory_max: SizeThreshold | None = None
    hit_rate_min: RatioFloor | None = None
    hit_rate_min_lookups: int = Field(default=1000, ge=0)
    clients_ratio: RatioThreshold | None = Threshold(warn=0.8, crit=0.95)
    rejected_connections: Literal["warn", "crit", "ignore"] = "warn"
    evicted_keys: Literal["warn", "crit", "ignore"] = "warn"
    persistence: bool = False
    last_save_max: DurationThreshold | None = Threshold(crit=48 * 3600.0)
    role: Literal["master", "replica"] | None = None
    replication_lag: DurationThreshold | None = Threshold(warn=10.0, crit=60.0)
    # Bytes a replica is behind (master_repl_offset - its offset), judged on the master. Unset: warn
    # at half the master's repl_backlog_size, crit at all of it (past it, a replica that reconnects
    # needs a full resync); null: not judged.
    replica_offset_lag: SizeThreshold | None = None
    dbsize_min: int | None = Field(default=None, ge=0)
    dbsize_max: NumberThreshold | None = None
    queues: dict[str, NumberThreshold] = {}

    _url = field_validator("url")(lambda cls, v: checked_url(v, REDIS_SCHEMES, "Redis"))

    @model_validator(mode="after")
    def _tls_options(self) -> RedisTarget:
        if (self.ca_bundle or self.insecure) and not self.url.startswith("rediss://"):
            raise ValueError("'ca_bundle' and 'insecure' apply to rediss:// (TLS) URLs only")
        return self

    @property
    def host_key(self) -> str:
        return endpoint(self.url, 6379)
