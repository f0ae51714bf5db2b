"""Rules for one Redis server's facts: latency, memory, clients, hit rate, persistence, role."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsgate.judges._format import format_count, format_percent
from opsgate.judges.queue import judge_depth
from opsgate.units import Threshold, format_duration, format_size

if TYPE_CHECKING:
    from opsgate.probes.redis import RedisFacts
    from opsgate.targets.redis import RedisTarget
    from opsgate.verdict import Verdict


def judge_redis(target: RedisTarget, facts: RedisFacts, verdict: Verdict) -> None:
    """Add a finding for every rule of the target the server's facts break."""
    verdict.evidence("redis INFO", facts.evidence())
    verdict.note("role", str(facts.info.get("role", "?")))
    verdict.measure("PING time", facts.ping_seconds, target.ping, fmt=format_duration,
                    advice="the server or the network is slow: check SLOWLOG GET, CPU and latency doctor")
    judge_memory(target, facts, verdict)
    judge_clients(target, facts, verdict)
    judge_hit_rate(target, facts, verdict)
    judge_counters(target, facts, verdict)
    if target.persistence:
        judge_persistence(target, facts, verdict)
    judge_replication(target, facts, verdict)
    judge_dbsize(target, facts, verdict)
    judge_lists(target.queues, facts.queue_lengths, verdict)


def judge_memory(target: RedisTarget, facts: RedisFacts, verdict: Verdict) -> None:
    """used_memory against maxmemory (when the server has one) and the absolute ceiling."""
    used = facts.number("used_memory")
    if used is None:
        verdict.fail("INFO has no used_memory field: is this a Redis-compatible server?")
        return
    limit = facts.number("maxmemory") or 0.0
    policy = facts.info.get("maxmemory_policy", "?")
    if limit > 0 and target.memory_ratio is not None:
        verdict.measure(
            "used_memory/maxmemory", used / limit, target.memory_ratio, fmt=format_percent,
            advice=f"{format_size(used)} of maxmemory {format_size(limit)} (policy {policy}); at 100% "
                   + ("writes fail with OOM errors" if policy == "noeviction" else "keys are evicted")
                   + ": find big keys (redis-cli --bigkeys), check TTLs, or raise maxmemory",
        )
    elif limit == 0 and "memory_ratio" in target.model_fields_set:
        verdict.warn("memory_ratio cannot be judged: maxmemory is 0 (no limit), so Redis grows until the "
                     "host runs out of memory; set maxmemory, or judge used_memory_max instead")
    verdict.measure("used_memory", used, target.used_memory_max, fmt=format_size,
                    advice="the runbook's scale trigger: plan a bigger instance or shrink the data set")


def judge_clients(target: RedisTarget, facts: RedisFacts, verdict: Verdict) -> None:
    """connected_clients against maxclients (INFO reports maxclients since Redis 7)."""
    clients = facts.number("connected_clients")
    limit = facts.number("maxclients")
    verdict.note("connected_clients", clients, format_count(clients or 0))
    if clients is None or target.clients_ratio is None:
        return
    if not limit:
        verdict.note("connected_clients/maxclients", None,
                     "not judged: INFO reports no maxclients (Redis < 7 or a compatible server)")
        if "clients_ratio" in target.model_fields_set:
            verdict.warn("clients_ratio cannot be judged: INFO reports no maxclients (Redis >= 7 does); "
                         "watch rejected_connections, or upgrade Redis")
        return
    verdict.measure(
        "connected_clients/maxclients", clients / limit, target.clients_ratio, fmt=format_percent,
        advice=f"{format_count(clients)} of {format_count(limit)} clients; new connections are refused at "
               "100%: look for leaking pools with CLIENT LIST (idle=), or raise maxclients",
    )


def judge_hit_rate(target: RedisTarget, facts: RedisFacts, verdict: Verdict) -> None:
    """keyspace_hits / (hits + misses), judged only once there were enough lookups."""
    hits, misses = facts.number("keyspace_hits") or 0.0, facts.number("keyspace_misses") or 0.0
    lookups = hits + misses
    if target.hit_rate_min is None:
        if lookups:
            verdict.note("hit rate", hits / lookups, format_percent(hits / lookups))
        return
    if lookups < target.hit_rate_min_lookups:
        verdict.note("hit rate", None, f"not judged: {format_count(lookups)} lookups since the last "
                                       f"restart or CONFIG RESETSTAT (< {target.hit_rate_min_lookups})")
        return
    verdict.measure(
        "cache hit rate", hits / lookups, target.hit_rate_min, floor=True, fmt=format_percent,
        advice=f"{format_count(hits)} hits, {format_count(misses)} misses since the last restart; check "
               "key TTLs and evictions, and whether the app caches what it reads",
    )


def judge_counters(target: RedisTarget, facts: RedisFacts, verdict: Verdict) -> None:
    """rejected_connections and evicted_keys since start: non-zero means a limit was hit."""
    rules = (
        ("rejected_connections", target.rejected_connections,
         "clients were refused because maxclients was reached; find leaking pools (CLIENT LIST) "
         "or raise maxclients"),
        ("evicted_keys", target.evicted_keys,
         "maxmemory was reached and keys were evicted before they expired; raise maxmemory or "
         "shorten TTLs"),
    )
    for field, level, advice in rules:
        count = facts.number(field) or 0.0
        verdict.note(field, count, format_count(count))
        if count > 0 and level != "ignore":
            message = (f"{field} is {format_count(count)} since the last restart or CONFIG RESETSTAT "
                       f"(expected 0): {advice}")
            if level == "crit":
                verdict.fail(message)
            else:
                verdict.warn(message)


def judge_persistence(target: RedisTarget, facts: RedisFacts, verdict: Verdict) -> None:
    """The last RDB save and AOF write succeeded, and unsaved changes are not too old."""
    info = facts.info
    if info.get("rdb_last_bgsave_status", "ok") != "ok":
        verdict.fail(f"rdb_last_bgsave_status is {info['rdb_last_bgsave_status']!r}, expected 'ok': the last "
                     "background save failed (disk full? permissions? fork failed?); check the Redis log")
    if info.get("aof_enabled") and info.get("aof_last_write_status", "ok") != "ok":
        verdict.fail(f"aof_last_write_status is {info['aof_last_write_status']!r}, expected 'ok': the append "
                     "only file cannot be written; check disk space and the Redis log")
    saved_at = facts.number("rdb_last_save_time")
    changes = facts.number("rdb_changes_since_last_save") or 0.0
    if saved_at and changes > 0:
        verdict.measure(
            "time since the last RDB save", facts.observed_at - saved_at, target.last_save_max,
            fmt=format_duration,
            advice=f"{format_count(changes)} changes are not on disk; check the 'save' rules and run BGSAVE",
        )


def judge_replication(target: RedisTarget, facts: RedisFacts, verdict: Verdict) -> None:
    """The role the profile expects; on a replica, a live link to its master; on a master, how far
    behind each connected replica is, in bytes of the replication stream."""
    role = "replica" if facts.info.get("role") == "slave" else str(facts.info.get("role", "?"))
    if target.role is not None and role != target.role:
        verdict.fail(f"role is {role}, expected {target.role}: a failover may have happened; "
                     "check Sentinel/cluster state before anything writes to the wrong node")
    if role == "master":
        judge_replicas(target, facts, verdict)
    if role != "replica":
        return
    master = f"{facts.info.get('master_host', '?')}:{facts.info.get('master_port', '?')}"
    if facts.info.get("master_link_status") != "up":
        down = facts.number("master_link_down_since_seconds")
        since = f" for {format_duration(down)}" if down is not None and down >= 0 else ""
        verdict.fail(f"replication link to master {master} is {facts.info.get('master_link_status')!r}"
                     f"{since}, expected 'up': the replica serves stale data; check the master and "
                     "the replica's log")
        return
    # Not a lag: the seconds since the replica last received anything (data or ping) from its master.
    silence = facts.number("master_last_io_seconds_ago")
    if silence is not None and silence >= 0:
        verdict.measure("time since the master was last heard from (master_last_io_seconds_ago)", silence,
                        target.replication_lag, fmt=format_duration,
                        advice=f"the replica hears too rarely from {master}; check the network and the "
                               "master's load")


def judge_replicas(target: RedisTarget, facts: RedisFacts, verdict: Verdict) -> None:
    """Each replica INFO lists on a master: master_repl_offset minus the offset it acknowledged."""
    offset = facts.number("master_repl_offset")
    backlog = facts.number("repl_backlog_size") or 0.0
    threshold = target.replica_offset_lag
    if threshold is None and "replica_offset_lag" not in target.model_fields_set and backlog > 0:
        threshold = Threshold(warn=backlog / 2, crit=backlog)
    for key, replica in sorted(facts.info.items()):
        if not (key.startswith("slave") and key[5:].isdigit() and isinstance(replica, dict)):
            continue
        name = f"replica {replica.get('ip', '?')}:{replica.get('port', '?')}"
        if replica.get("state") != "online":
            verdict.warn(f"{name} is in state {replica.get('state')!r}, expected 'online': it is (re)syncing "
                         "and serves stale data; check its log and the master's repl-backlog-size")
            continue
        if offset is None or not isinstance(replica.get("offset"), int):
            continue
        verdict.measure(
            f"{name} behind the master (master_repl_offset - replica offset)", offset - replica["offset"],
            threshold, fmt=format_size,
            advice=f"its last acknowledgement was {format_duration(float(replica.get('lag', 0)))} ago; it "
                   f"falls behind the master's writes (repl_backlog_size {format_size(backlog)}): check the "
                   "replica's load and the network, or whether it is stalled",
        )


def judge_dbsize(target: RedisTarget, facts: RedisFacts, verdict: Verdict) -> None:
    """DBSIZE of the URL's database within the profile's bounds."""
    name = f"DBSIZE of db{facts.db}"
    if target.dbsize_min is not None and facts.dbsize < target.dbsize_min:
        verdict.fail(f"{name} is {facts.dbsize}, below the minimum {target.dbsize_min}: the data was "
                     "flushed, expired or the app writes to another database; check FLUSHALL in the "
                     "logs and the app's REDIS_URL")
    verdict.measure(name, facts.dbsize, target.dbsize_max, fmt=format_count,
                    advice="more keys than expected: look for keys without TTL (redis-cli --scan)")


def judge_lists(limits: dict[str, Threshold], lengths: dict[str, int], verdict: Verdict) -> None:
    """Each named list (a Celery queue) against its depth threshold, as a `queues:` target's."""
    for name, threshold in limits.items():
        judge_depth(name, lengths[name], threshold, verdict)
