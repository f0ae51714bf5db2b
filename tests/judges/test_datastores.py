"""Data-store judge rules on given facts: the branches real servers cannot easily be put in."""

from __future__ import annotations

from typing import Any

import pytest

from opsgate.judges.database import judge_database, judge_slow_statements
from opsgate.judges.queue import judge_queue
from opsgate.judges.redis import judge_redis
from opsgate.probes.database import DatabaseFacts, QueryResult, Session, SlowStatements
from opsgate.probes.queue import QueueFacts
from opsgate.probes.redis import RedisFacts
from opsgate.redact import CUT
from opsgate.targets.database import DatabaseTarget
from opsgate.targets.queue import QueueTarget
from opsgate.targets.redis import RedisTarget
from opsgate.verdict import Verdict

HEALTHY = {
    "role": "master",
    "used_memory": 1000,
    "maxmemory": 0,
    "connected_clients": 3,
    "maxclients": 10000,
    "keyspace_hits": 0,
    "keyspace_misses": 0,
}


def fresh(values: dict[str, Any]) -> dict[str, Any]:
    """Strings as a parser makes them, not interned literals: rules must compare values."""
    return {k: "".join(list(v)) if isinstance(v, str) else v for k, v in values.items()}


def redis_findings(info: dict[str, Any], dbsize: int = 10, **fields: Any) -> list[tuple[str, str]]:
    target = RedisTarget.model_validate(fresh({"name": "c", "url": "redis://h/0", **fields}))
    verdict = Verdict(target=target)
    lengths = {name: 250 for name in target.queues}
    facts = RedisFacts("h:6379", 0, 0.001, fresh({**HEALTHY, **info}), dbsize, lengths, observed_at=1000.0)
    judge_redis(target, facts, verdict)
    return [(f.level, f.message) for f in verdict.findings]


def test_healthy_redis_has_no_findings() -> None:
    assert redis_findings({}) == []


def test_hit_rate_is_judged_only_after_enough_lookups() -> None:
    assert redis_findings({"keyspace_hits": 10, "keyspace_misses": 90}, hit_rate_min={"warn": 0.8}) == []
    [(level, message)] = redis_findings(
        {"keyspace_hits": 600, "keyspace_misses": 900}, hit_rate_min={"warn": 0.8}
    )
    assert level == "warn" and message.startswith("cache hit rate is 40%, below the minimum 80% (warn)")


def test_rejected_connections_and_evictions_warn_unless_told_otherwise() -> None:
    found = redis_findings({"rejected_connections": 3, "evicted_keys": 5}, evicted_keys="crit")
    assert [level for level, _ in found] == ["warn", "crit"]
    assert "rejected_connections is 3 since the last restart" in found[0][1]


def test_persistence_failures_and_old_saves() -> None:
    found = redis_findings(
        {
            "rdb_last_bgsave_status": "err",
            "rdb_last_save_time": 1000.0 - 50 * 3600,
            "rdb_changes_since_last_save": 7,
        },
        persistence=True,
    )
    assert "rdb_last_bgsave_status is 'err'" in found[0][1]
    assert found[1][1].startswith("time since the last RDB save is 2.08d, above the limit 2d (crit)")


def test_clients_ratio_without_maxclients_is_noted_not_skipped() -> None:
    target = RedisTarget(name="c", url="redis://h/0")
    verdict = Verdict(target=target)
    judge_redis(target, RedisFacts("h:6379", 0, 0.001, {**HEALTHY, "maxclients": None}, 10), verdict)
    [note] = [m for m in verdict.measurements if m.name == "connected_clients/maxclients"]
    assert note.display.startswith("not judged: INFO reports no maxclients") and note.value is None
    assert verdict.findings == []
    [(level, message)] = redis_findings({"maxclients": None}, clients_ratio={"warn": 0.5})
    assert level == "warn"
    assert message.startswith("clients_ratio cannot be judged: INFO reports no maxclients")


def test_redis_celery_lists_and_queue_targets_judge_depth_alike() -> None:
    [(_, from_redis)] = redis_findings({}, queues={"celery": {"crit": 200}})  # queue_lengths below
    target = QueueTarget(name="celery", broker="redis://h/0", depth={"crit": 200})
    verdict = Verdict(target=target)
    judge_queue(target, QueueFacts("redis", "h:6379", "celery", messages=250), verdict)
    assert [f.message for f in verdict.findings] == [from_redis]
    assert from_redis.startswith("queue 'celery' depth is 250, above the limit 200 (crit): workers are not")


def test_dbsize_below_its_minimum() -> None:
    [(level, message)] = redis_findings({}, dbsize=0, dbsize_min=100)
    assert level == "crit" and message.startswith("DBSIZE of db0 is 0, below the minimum 100")


def database_findings(**facts: Any) -> list[tuple[str, str]]:
    target = DatabaseTarget(name="db", url="postgresql://h/db")
    verdict = Verdict(target=target)
    base: dict[str, Any] = {
        "engine": "postgresql",
        "endpoint": "h:5432",
        "version": "PostgreSQL 16",
        "connections": 5,
        "connection_limit": 97,
        "max_connections": 100,
    }
    judge_database(target, DatabaseFacts(**{**base, **facts}), verdict)
    return [(f.level, f.message) for f in verdict.findings]


def test_replica_lag_and_broken_replication() -> None:
    assert database_findings(is_replica=True, replication_lag=1.0) == []
    [(level, message)] = database_findings(is_replica=True, replication_lag=45.0)
    assert level == "crit" and message.startswith("replication lag is 45s, above the limit 30s (crit)")
    found = database_findings(is_replica=True, replication_problem="WAL receiver is not running")
    assert found[0][1].startswith("replication is broken: WAL receiver is not running")


def test_no_usable_connections_left() -> None:
    [(_, message)] = database_findings(connection_limit=0, max_connections=3, reserved=3)
    assert message.startswith("no connections are left for ordinary clients")


def test_consumers_minimum_on_rabbitmq() -> None:
    target = QueueTarget(name="q", broker="amqp://h/", consumers_min=2)
    verdict = Verdict(target=target)
    judge_queue(target, QueueFacts("rabbitmq", "h:5672", "q", messages=0, consumers=1), verdict)
    assert [f.message for f in verdict.findings] == [
        "queue 'q' has 1 consumer(s), expected at least 2: workers are down; "
        "check the worker service and its log"
    ]


def test_broken_replication_fails_the_check() -> None:
    [(level, message)] = database_findings(is_replica=True, replication_lag=1.0,
                                           replication_problem="WAL receiver is not running")
    assert level == "crit"
    assert message.startswith("replication is broken: WAL receiver is not running")


def test_hit_rate_is_judged_from_exactly_the_minimum_lookups() -> None:
    [(level, message)] = redis_findings({"keyspace_hits": 400, "keyspace_misses": 600},
                                        hit_rate_min={"warn": 0.8})
    assert level == "warn" and message.startswith("cache hit rate is 40%, below the minimum 80% (warn)")
    assert redis_findings({"keyspace_hits": 400, "keyspace_misses": 599}, hit_rate_min={"warn": 0.8}) == []


def database_verdict(target_fields: dict[str, Any] | None = None, **facts: Any) -> Verdict:
    fields = {"name": "db", "url": "postgresql://h/db", **(target_fields or {})}
    target = DatabaseTarget.model_validate(fields)
    verdict = Verdict(target=target)
    base: dict[str, Any] = {"engine": "postgresql", "endpoint": "h:5432", "version": "PostgreSQL 16",
                            "connections": 5, "connection_limit": 97, "max_connections": 100}
    judge_database(target, DatabaseFacts(**fresh({**base, **facts})), verdict)
    return verdict


def notes(verdict: Verdict) -> dict[str, str]:
    return {m.name: m.display for m in verdict.measurements}


@pytest.mark.parametrize(("engine", "where"), [
    ("postgresql", "(pg_stat_activity by application_name), or put PgBouncer in front"),
    ("mysql", "(SHOW PROCESSLIST by user and host)"),
    ("mariadb", "(SHOW PROCESSLIST by user and host)"),
])
def test_a_saturated_server_names_its_sessions_and_where_to_look(engine: str, where: str) -> None:
    verdict = database_verdict(engine=engine, connections=96, connection_limit=97,
                               states={"active": 30, "idle": 60, "idle in transaction": 6})
    [finding] = verdict.findings
    assert finding.level == "crit"
    assert finding.message.startswith("connections/limit is 99%")
    assert "96 of 97 usable connections (60 idle, 30 active, 6 idle in transaction)" in finding.message
    assert finding.message.endswith(where)


def test_a_single_usable_connection_is_a_ratio_not_an_exhausted_server() -> None:
    [finding] = database_verdict(connections=1, connection_limit=1).findings
    assert finding.message.startswith("connections/limit is 100%")


@pytest.mark.parametrize(("engine", "kill"), [("postgresql", "pg_terminate_backend"), ("mysql", "KILL")])
def test_stuck_sessions_name_the_session_and_how_to_end_it(engine: str, kill: str) -> None:
    long_query = "SELECT " + "x, " * 80 + "1"
    verdict = database_verdict(
        {"idle_in_transaction": {"warn": "60s", "crit": "300s"}, "longest_query": {"crit": "30s"}},
        engine=engine,
        idle_in_transaction=Session(41, "app", 900.0, long_query),
        longest_query=Session(42, "report", 45.0, "SELECT pg_sleep(60)"))
    idle, running = (f.message for f in verdict.findings)
    assert idle.startswith("longest idle in transaction is 15m, above the limit 5m (crit)")
    assert f"session 41 of user 'app', query {long_query[:120]!r}: it holds locks" in idle
    assert idle.endswith(f"or {kill} it")
    assert "session 42 of user 'report', query 'SELECT pg_sleep(60)': " in running
    assert f"cancel it ({kill}) if it must not run" in running
    assert notes(database_verdict())["longest running query"] == "none"


def test_a_primary_notes_a_replication_problem_without_failing() -> None:
    verdict = database_verdict(is_replica=False, replication_problem="no WAL receiver")
    assert verdict.findings == []
    assert notes(verdict)["replication"] == "no WAL receiver"


def test_a_replica_without_lag_has_not_replayed_anything() -> None:
    [finding] = database_verdict(is_replica=True).findings
    assert finding.message.startswith("the replica reports no replication lag")


def test_every_large_table_is_judged_and_the_largest_noted() -> None:
    verdict = database_verdict({"table_size_max": "1GB"},
                               largest_tables=[("public.events", 5e9), ("public.users", 2e9), ("t", 1e3)])
    assert [f.message.split(" is ")[0] for f in verdict.findings] == [
        "table public.events size", "table public.users size"]
    assert notes(verdict)["largest table"].startswith("public.events ")


def test_business_queries_within_and_outside_their_bounds() -> None:
    queries = [{"name": "orders", "query": "select 1", "min": 10, "max": 100},
               {"name": "broken", "query": "select x", "min": 1},
               {"name": "skipped", "query": "select 2", "max": 1}]
    verdict = database_verdict({"queries": queries}, queries={
        "orders": QueryResult(value=5.0), "broken": QueryResult(problem="column x does not exist")})
    assert [f.message for f in verdict.findings] == [
        "query 'orders' is 5, below the minimum 10 (crit): the business metric is lower than expected; "
        "see the runbook for this query",
        "query 'broken': column x does not exist; fix the query in the profile or the grants",
        "query 'skipped': it did not run; fix the query in the profile or the grants",
    ]
    high = database_verdict({"queries": queries[:1]}, queries={"orders": QueryResult(value=500.0)})
    assert [f.message.split(":")[0] for f in high.findings] == [
        "query 'orders' is 500, above the limit 100 (crit)"]


def test_mysql_high_water_mark_is_noted() -> None:
    assert notes(database_verdict(engine="mysql", high_water=77))["max used connections"] == "77"


def redis_verdict(info: dict[str, Any], **fields: Any) -> Verdict:
    target = RedisTarget.model_validate(fresh({"name": "c", "url": "redis://h/0", **fields}))
    verdict = Verdict(target=target)
    facts = RedisFacts("h:6379", 0, 0.001, fresh({**HEALTHY, **info}), 10, observed_at=1000.0)
    judge_redis(target, facts, verdict)
    return verdict


def test_the_hit_rate_is_noted_even_unjudged() -> None:
    assert notes(redis_verdict({"keyspace_hits": 30, "keyspace_misses": 10}))["hit rate"] == "75%"
    assert notes(redis_verdict({"keyspace_hits": None, "keyspace_misses": 4}))["hit rate"] == "0%"
    assert "hit rate" not in notes(redis_verdict({}))


def test_a_single_rejected_connection_counts() -> None:
    [(level, message)] = redis_findings({"rejected_connections": 1, "evicted_keys": 1}, evicted_keys="ignore")
    assert level == "warn" and message.startswith("rejected_connections is 1 since the last restart")


def test_a_failing_append_only_file() -> None:
    assert redis_findings({"aof_enabled": 1, "aof_last_write_status": "ok"}, persistence=True) == []
    [(level, message)] = redis_findings({"aof_enabled": 1, "aof_last_write_status": "err"}, persistence=True)
    assert level == "crit" and message.startswith("aof_last_write_status is 'err', expected 'ok'")
    assert redis_findings({"aof_enabled": 0, "aof_last_write_status": "err"}, persistence=True) == []


def test_a_replica_with_its_link_down_or_lagging() -> None:
    replica = {"role": "slave", "master_host": "10.0.0.5", "master_port": 6379}
    [(_, down)] = redis_findings({**replica, "master_link_status": "down",
                                  "master_link_down_since_seconds": 120})
    assert down.startswith("replication link to master 10.0.0.5:6379 is 'down' for 2m, expected 'up'")
    # "up" sorts after "down": only "up" itself is a live link.
    [(_, other)] = redis_findings({**replica, "master_link_status": "upgrading"})
    assert other.startswith("replication link to master 10.0.0.5:6379 is 'upgrading', expected 'up'")
    assert redis_findings({**replica, "master_link_status": "up", "master_last_io_seconds_ago": 0}) == []
    [(level, lag)] = redis_findings({**replica, "master_link_status": "up", "master_last_io_seconds_ago": 90})
    assert level == "crit"
    assert lag.startswith("time since the master was last heard from (master_last_io_seconds_ago) is 90s, "
                          "above the limit 60s (crit)")
    measured = notes(redis_verdict({**replica, "master_link_status": "up", "master_last_io_seconds_ago": 0}))
    assert measured["time since the master was last heard from (master_last_io_seconds_ago)"] == "0ms"


@pytest.mark.parametrize(("policy", "effect"), [("noeviction", "writes fail with OOM errors"),
                                                ("allkeys-lru", "keys are evicted"),
                                                ("volatile-ttl", "keys are evicted")])
def test_memory_near_maxmemory_says_what_happens_at_the_limit(policy: str, effect: str) -> None:
    [(level, message)] = redis_findings({"used_memory": 960, "maxmemory": 1000, "maxmemory_policy": policy})
    assert level == "crit" and message.startswith("used_memory/maxmemory is 96%")
    assert f"(policy {policy}); at 100% {effect}: find big keys" in message


def test_a_memory_ratio_asked_for_without_maxmemory_warns() -> None:
    assert redis_findings({"maxmemory": 0}) == []  # the default ratio is not asked for
    [(level, message)] = redis_findings({"maxmemory": 0}, memory_ratio={"crit": 0.9})
    assert level == "warn" and message.startswith("memory_ratio cannot be judged: maxmemory is 0")
    assert redis_findings({"used_memory": 10, "maxmemory": 1000}, memory_ratio={"crit": 0.9}) == []


def test_connected_clients_are_noted() -> None:
    assert notes(redis_verdict({}))["connected_clients"] == "3"


@pytest.mark.parametrize(("down", "since"), [(0, " for 0ms,"), (-1, ",")])
def test_a_link_down_says_since_when_only_when_known(down: int, since: str) -> None:
    [(_, message)] = redis_findings({"role": "slave", "master_host": "m", "master_port": 1,
                                     "master_link_status": "down", "master_link_down_since_seconds": down})
    assert message.startswith(f"replication link to master m:1 is 'down'{since} expected 'up'")


def test_memory_limits_at_their_edges() -> None:
    [(_, message)] = redis_findings({"used_memory": 1, "maxmemory": 1})
    assert message.startswith("used_memory/maxmemory is 100%")
    assert redis_findings({"used_memory": 999, "maxmemory": 1000}, memory_ratio=None) == []


def test_clients_near_maxclients_and_clients_unknown() -> None:
    [(_, message)] = redis_findings({"connected_clients": 9600, "maxclients": 10000})
    assert message.startswith("connected_clients/maxclients is 96%")
    verdict = redis_verdict({"connected_clients": None})
    assert verdict.findings == [] and notes(verdict)["connected_clients"] == "0"


def test_counters_missing_from_info_read_as_zero() -> None:
    verdict = redis_verdict({"rejected_connections": None})
    assert notes(verdict)["rejected_connections"] == "0" and verdict.findings == []


def test_the_hit_rate_note_keeps_the_ratio_as_its_value() -> None:
    [rate] = [m for m in redis_verdict({"keyspace_hits": 30, "keyspace_misses": 10}).measurements
              if m.name == "hit rate"]
    assert rate.value == 0.75


@pytest.mark.parametrize(("changes", "judged"), [(None, False), (0, False), (1, True)])
def test_an_old_save_matters_only_with_unsaved_changes(changes: int | None, judged: bool) -> None:
    old = {"rdb_last_save_time": 1000.0 - 50 * 3600, "rdb_changes_since_last_save": changes}
    found = [m for _, m in redis_findings(old, persistence=True)]
    expected = [True] if judged else []
    assert [m.startswith("time since the last RDB save is 2.08d") for m in found] == expected
    never = {"rdb_last_save_time": None, "rdb_changes_since_last_save": 5}
    assert redis_findings(never, persistence=True) == []


@pytest.mark.parametrize(("seen", "expected"), [("slave", "master"), ("master", "replica")])
def test_an_unexpected_role_is_a_failover(seen: str, expected: str) -> None:
    info = {"role": seen, "master_link_status": "up", "master_last_io_seconds_ago": 1}
    [(level, message)] = redis_findings(info, role=expected)
    shown = "replica" if seen == "slave" else seen
    assert level == "crit" and message.startswith(f"role is {shown}, expected {expected}: a failover")
    assert redis_findings(info, role=shown) == []


def test_a_replica_without_an_io_age_is_not_judged_on_lag() -> None:
    replica = {"role": "slave", "master_link_status": "up"}
    for age in (None, -1):
        verdict = redis_verdict({**replica, "master_last_io_seconds_ago": age})
        assert verdict.findings == []
        assert "replication lag (master_last_io_seconds_ago)" not in notes(verdict)


def test_slow_statements_are_judged_each_with_the_evidence() -> None:
    attached: list[tuple[str, str]] = []
    target = DatabaseTarget(name="db", url="postgresql://h/db", slow_statement_mean="100ms")
    verdict = Verdict(target=target, attach=lambda name, text, mime: attached.append((name, text)))
    long_query = "SELECT " + "c, " * 60 + "1"
    judge_slow_statements(target, SlowStatements(rows=[("SELECT slow()", 12, 0.25), (long_query, 3, 0.5),
                                                       ("SELECT 1", 900, 0.001)]), verdict)
    assert [f.message for f in verdict.findings] == [
        "mean time of 'SELECT slow()' is 250ms, above the limit 100ms (crit): 12 calls; EXPLAIN ANALYZE it, "
        "look for a missing index or a plan change",
        f"mean time of {long_query[:100] + CUT!r} is 500ms, above the limit 100ms (crit): 3 calls; "
        "EXPLAIN ANALYZE it, look for a missing index or a plan change",
    ]
    assert attached[0][0] == "slowest statements"
    assert attached[0][1].splitlines()[0] == "     250.0 ms mean        12 calls  SELECT slow()"
    quiet = Verdict(target=target, attach=lambda name, text, mime: attached.append((name, text)))
    judge_slow_statements(target, SlowStatements(rows=[]), quiet)
    assert len(attached) == 1 and notes(quiet)["statements judged"] == "0"


def queue_findings(broker: str, messages: int, consumers: int | None, **fields: Any) -> list[str]:
    url = "redis://h/0" if broker == "redis" else "amqp://h/"
    target = QueueTarget.model_validate({"name": "q", "broker": url, **fields})
    verdict = Verdict(target=target)
    judge_queue(target, QueueFacts(**fresh({"broker": broker, "endpoint": "h:1", "queue": "q"}),
                                   messages=messages, consumers=consumers), verdict)
    return [f.message for f in verdict.findings]


def test_a_queue_with_messages_and_no_consumers_is_not_processed() -> None:
    [message] = queue_findings("rabbitmq", 1, 0)
    assert message.startswith("queue 'q' has 1 message(s) and no consumers: nothing processes it")
    assert queue_findings("rabbitmq", 0, 0) == []  # idle and empty: nothing to process
    assert queue_findings("rabbitmq", 5, 1) == []
    assert queue_findings("rabbitmq", 0, 2, consumers_min=2) == []  # exactly the minimum


@pytest.mark.parametrize(("broker", "how"), [("redis", "celery inspect ping / active"),
                                             ("rabbitmq", "rabbitmqctl list_consumers")])
def test_a_deep_queue_says_how_to_look_at_the_workers(broker: str, how: str) -> None:
    [message] = queue_findings(broker, 500, None, depth={"crit": 100})
    assert f"check that they run and their error logs ({how})" in message


def test_limits_met_exactly_or_exceeded_are_fine() -> None:
    assert redis_findings({}, dbsize=100, dbsize_min=100) == []
    assert redis_findings({}, dbsize=500, dbsize_min=100) == []
    assert queue_findings("rabbitmq", 0, 3, consumers_min=2) == []
    assert redis_findings({"rdb_last_bgsave_status": "ok"}, persistence=True) == []
