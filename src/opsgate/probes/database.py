"""SQL database probe: the facts both engines report, and dispatch by the target's URL scheme.

The engine modules (`probes.postgres`, `probes.mysql`) open one read-only session with connect and
statement timeouts, run catalog queries only, and return `DatabaseFacts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opsgate.errors import ProbeTimeout
from opsgate.redact import clip
from opsgate.targets.database import DatabaseTarget


@dataclass(frozen=True)
class Session:
    """One server session an on-call engineer may have to look at (or kill)."""

    pid: int
    user: str
    seconds: float
    query: str


@dataclass(frozen=True)
class QueryResult:
    """A custom query's first column of its first row, or why there is none."""

    value: float | None = None
    problem: str | None = None


@dataclass(frozen=True)
class DatabaseFacts:
    """What one SQL server reported about its saturation, sessions, sizes and replication."""

    engine: str
    endpoint: str
    version: str
    connections: int  # client sessions, this check's own included
    connection_limit: int  # sessions ordinary clients may open
    max_connections: int
    reserved: int = 0
    high_water: int | None = None  # MySQL Max_used_connections since start
    states: dict[str, int] = field(default_factory=dict)
    idle_in_transaction: Session | None = None  # the one idle in a transaction the longest
    longest_query: Session | None = None  # the longest-running statement of another session
    is_replica: bool = False
    replication_lag: float | None = None
    replication_problem: str | None = None
    largest_tables: list[tuple[str, float]] = field(default_factory=list)
    queries: dict[str, QueryResult] = field(default_factory=dict)

    def evidence(self) -> str:
        """The saturation picture as text: counts, states, the stuck sessions, the big tables."""
        lines = [
            f"{self.engine} {self.endpoint}  {self.version}",
            f"connections: {self.connections} of {self.connection_limit} usable "
            f"(max_connections {self.max_connections}, reserved {self.reserved})"
            + (f", high-water mark {self.high_water}" if self.high_water is not None else ""),
            "states: " + ", ".join(f"{k}={v}" for k, v in sorted(self.states.items())),
        ]
        for label, session in (("idle in transaction", self.idle_in_transaction),
                               ("longest query", self.longest_query)):
            if session is not None:
                lines.append(f"{label}: pid {session.pid} user {session.user} for {session.seconds:.0f}s: "
                             f"{clip(session.query, 200)}")
        if self.is_replica:
            lines.append(f"replica: lag {self.replication_lag}s {self.replication_problem or ''}".rstrip())
        lines += [f"table {name}: {size:.0f} bytes" for name, size in self.largest_tables]
        lines += [f"query {name}: {r.value if r.problem is None else r.problem}"
                  for name, r in self.queries.items()]
        return "\n".join(lines)


@dataclass(frozen=True)
class SlowStatements:
    """The slowest statements by mean time, or why the server cannot tell (`unavailable`)."""

    unavailable: str | None = None
    rows: list[tuple[str, int, float]] = field(default_factory=list)  # (query, calls, mean seconds)


def number_of(row: tuple[Any, ...] | None) -> QueryResult:
    """The first column of a row as a number, or what is wrong with it."""
    if row is None or not row:
        return QueryResult(problem="the query returned no row, expected one number")
    value = row[0]
    if isinstance(value, bool) or value is None:
        return QueryResult(problem=f"the query returned {value!r}, expected a number")
    try:
        return QueryResult(value=float(value))
    except (TypeError, ValueError):
        return QueryResult(problem=f"the query returned {clip(str(value), 60)!r}, expected a number")


def stalled(where: str, timeout: float, look_at: str) -> ProbeTimeout:
    """The finding when `cut_off_at` ended the session: the probe's time ran out mid-statement."""
    return ProbeTimeout(f"{where}: the server did not answer the check's queries within the probe's "
                        f"{timeout:g}s; it is overloaded, locked or stalled: check {look_at} and the host")


def probe(target: DatabaseTarget, timeout: float) -> DatabaseFacts:
    """Saturation, sessions, tables, replication and custom queries of the target's server."""
    return _engine(target).probe(target, timeout)


def slow_statements(target: DatabaseTarget, timeout: float) -> SlowStatements:
    """The statements with the highest mean time (pg_stat_statements / performance_schema)."""
    return _engine(target).slow_statements(target, timeout)


def _engine(target: DatabaseTarget):  # noqa: ANN202 - a module
    if target.engine == "postgresql":
        from opsgate.probes import postgres

        return postgres
    from opsgate.probes import mysql

    return mysql
