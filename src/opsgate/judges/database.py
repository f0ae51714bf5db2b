"""Rules for one SQL server's facts: saturation, stuck sessions, replication, sizes, business queries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsgate.judges._format import format_count, format_percent
from opsgate.redact import clip
from opsgate.units import Threshold, format_duration, format_number, format_size

if TYPE_CHECKING:
    from opsgate.probes.database import DatabaseFacts, Session, SlowStatements
    from opsgate.targets.database import CustomQuery, DatabaseTarget
    from opsgate.verdict import Verdict


def judge_database(target: DatabaseTarget, facts: DatabaseFacts, verdict: Verdict) -> None:
    """Add a finding for every rule of the target the server's facts break."""
    verdict.evidence(f"{facts.engine} status", facts.evidence())
    verdict.note("version", facts.version)
    judge_connections(target, facts, verdict)
    judge_sessions(target, facts, verdict)
    judge_replication(target, facts, verdict)
    judge_tables(target, facts, verdict)
    for query in target.queries:
        judge_query(query, facts, verdict)


def judge_connections(target: DatabaseTarget, facts: DatabaseFacts, verdict: Verdict) -> None:
    """Client sessions against the sessions ordinary clients may open."""
    verdict.note("connections", facts.connections, f"{facts.connections} of {facts.connection_limit}")
    if facts.high_water is not None:
        verdict.note("max used connections", facts.high_water, str(facts.high_water))
    if target.connection_ratio is None:
        return
    if facts.connection_limit <= 0:
        verdict.fail(f"no connections are left for ordinary clients: max_connections {facts.max_connections}"
                     f" minus {facts.reserved} reserved; raise max_connections")
        return
    states = ", ".join(f"{n} {s}" for s, n in sorted(facts.states.items(), key=lambda kv: -kv[1]))
    verdict.measure(
        "connections/limit", facts.connections / facts.connection_limit, target.connection_ratio,
        fmt=format_percent,
        advice=f"{facts.connections} of {facts.connection_limit} usable connections ({states}); new "
               "clients are refused at 100%: find idle sessions and the pool that leaks them "
               + ("(pg_stat_activity by application_name), or put PgBouncer in front"
                  if facts.engine == "postgresql" else "(SHOW PROCESSLIST by user and host)"),
    )


def judge_sessions(target: DatabaseTarget, facts: DatabaseFacts, verdict: Verdict) -> None:
    """The session idle in a transaction the longest, and the longest-running statement."""
    kill = "pg_terminate_backend" if facts.engine == "postgresql" else "KILL"
    _judge_session(
        "longest idle in transaction", facts.idle_in_transaction, target.idle_in_transaction, verdict,
        advice=f"it holds locks and blocks vacuum; find the app that forgot to commit, or {kill} it",
    )
    _judge_session(
        "longest running query", facts.longest_query, target.longest_query, verdict,
        advice=f"check its plan and whether it blocks others; cancel it ({kill}) if it must not run",
    )


def _judge_session(
    name: str, session: Session | None, threshold: Threshold | None, verdict: Verdict, advice: str,
) -> None:
    if session is None:
        verdict.note(name, None, "none")
        return
    verdict.measure(
        name, session.seconds, threshold, fmt=format_duration,
        advice=f"session {session.pid} of user {session.user!r}, query {verdict.quote(session.query, 120)}: "
               f"{advice}",
    )


def judge_replication(target: DatabaseTarget, facts: DatabaseFacts, verdict: Verdict) -> None:
    """On a replica: replication running and the lag within bounds."""
    if not facts.is_replica:
        if facts.replication_problem:
            verdict.note("replication", facts.replication_problem)
        return
    if facts.replication_problem:
        verdict.fail(f"replication is broken: {facts.replication_problem}; the replica serves stale data: "
                     "check the primary's reachability and the replica's log")
    if facts.replication_lag is None:
        if not facts.replication_problem:
            verdict.fail("the replica reports no replication lag: it has not replayed anything from its "
                         "primary yet; check that replication is configured and running")
        return
    verdict.measure("replication lag", facts.replication_lag, target.replication_lag, fmt=format_duration,
                    advice="the replica falls behind: check the primary's write load, long queries on the "
                           "replica and the network")


def judge_tables(target: DatabaseTarget, facts: DatabaseFacts, verdict: Verdict) -> None:
    """The largest tables against the size ceiling."""
    if not facts.largest_tables:
        return
    name, size = facts.largest_tables[0]
    verdict.note("largest table", size, f"{name} {format_size(size)}")
    for table, table_size in facts.largest_tables:
        verdict.measure(f"table {table} size", table_size, target.table_size_max, fmt=format_size,
                        advice="archive or purge old rows, or plan the storage and a partitioning")


def judge_query(query: CustomQuery, facts: DatabaseFacts, verdict: Verdict) -> None:
    """A business query's number within its `min`/`max`."""
    result = facts.queries.get(query.name)
    if result is None or result.value is None:
        problem = result.problem if result is not None else "it did not run"
        verdict.fail(f"query {query.name!r}: {problem}; fix the query in the profile or the grants")
        return
    label = f"query {query.name!r}"
    if query.min is not None:
        verdict.measure(label, result.value, query.min, floor=True, fmt=format_number,
                        advice="the business metric is lower than expected; see the runbook for this query")
    verdict.measure(label, result.value, query.max, fmt=format_number,
                    advice="the business metric is higher than expected; see the runbook for this query")


def judge_slow_statements(target: DatabaseTarget, slow: SlowStatements, verdict: Verdict) -> None:
    """Statements whose mean time crosses `slow_statement_mean` (enough calls to be a pattern)."""
    verdict.note("statements judged", len(slow.rows), format_count(len(slow.rows)))
    if slow.rows:
        verdict.evidence("slowest statements", "\n".join(
            f"{mean * 1000:10.1f} ms mean  {calls:>8} calls  {query}" for query, calls, mean in slow.rows))
    for query, calls, mean in slow.rows:
        verdict.measure(
            f"mean time of {clip(query, 100)!r}", mean, target.slow_statement_mean, fmt=format_duration,
            advice=f"{calls} calls; EXPLAIN ANALYZE it, look for a missing index or a plan change",
        )
