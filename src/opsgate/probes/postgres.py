"""PostgreSQL probe (psycopg 3): one read-only session, catalog queries only."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pgerrors
from psycopg.conninfo import conninfo_to_dict

from opsgate.deadline import Deadline
from opsgate.errors import ProbeConfigError, ProbeFailure, ProbeTimeout, ProtocolFailure, Unreachable
from opsgate.probes.cutoff import cut_off_at
from opsgate.probes.database import (
    DatabaseFacts,
    QueryResult,
    Session,
    SlowStatements,
    number_of,
    stalled,
)
from opsgate.targets._urls import endpoint
from opsgate.targets.database import DatabaseTarget

_SETTINGS = """
SELECT current_setting('max_connections')::int,
       current_setting('superuser_reserved_connections')::int,
       coalesce(current_setting('reserved_connections', true), '0')::int,
       pg_is_in_recovery(), version(), current_user,
       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')
"""
# Without pg_read_all_stats, other roles' sessions show only pid, user and database: no state, no
# backend_type, no query. They would silently drop out of every count below.
_HIDDEN_SESSIONS = """
SELECT count(*)::int FROM pg_stat_activity WHERE backend_type IS NULL AND datid IS NOT NULL
"""
_STATES = """
SELECT coalesce(state, 'unknown'), count(*)::int FROM pg_stat_activity
WHERE backend_type = 'client backend' GROUP BY 1
"""
_IDLE_IN_TRANSACTION = """
SELECT pid, coalesce(usename, '?'), extract(epoch FROM now() - state_change)::float8, coalesce(query, '')
FROM pg_stat_activity
WHERE state IN ('idle in transaction', 'idle in transaction (aborted)') AND pid <> pg_backend_pid()
ORDER BY state_change LIMIT 1
"""
_LONGEST_QUERY = """
SELECT pid, coalesce(usename, '?'), extract(epoch FROM now() - query_start)::float8, coalesce(query, '')
FROM pg_stat_activity
WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
ORDER BY query_start LIMIT 1
"""
_REPLICATION_LAG = """
SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END,
       (SELECT status FROM pg_stat_wal_receiver LIMIT 1)
"""
_LARGEST_TABLES = """
SELECT n.nspname || '.' || c.relname, pg_total_relation_size(c.oid)::float8
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%%'
ORDER BY 2 DESC LIMIT %s
"""
_HAS_PG_STAT_STATEMENTS = "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'"
_SLOWEST = """
SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 300), calls::int8, (mean_exec_time / 1000)::float8
FROM pg_stat_statements WHERE calls >= %s ORDER BY mean_exec_time DESC LIMIT 10
"""


def connection_slots(max_connections: int, superuser_reserved: int, reserved: int) -> tuple[int, int]:
    """(slots ordinary clients may use, slots held back). PostgreSQL 16 holds `reserved_connections`
    back for pg_use_reserved_connections roles on top of the superusers' reserve (15 has no such
    setting, so its `reserved` reads 0)."""
    held = superuser_reserved + reserved
    return max_connections - held, held


def probe(target: DatabaseTarget, timeout: float) -> DatabaseFacts:
    """Facts of the server behind `target.url`, all statements together within `timeout`."""
    where = f"postgresql {endpoint(target.url, 5432)}"
    with session(target.url, timeout, where) as cur:
        cur.execute(_SETTINGS)
        max_connections, superuser_reserved, reserved, in_recovery, version, user, sees_all = cur.fetchone()
        if not sees_all:
            _require_all_sessions_visible(cur, where, user)
        limit, held = connection_slots(max_connections, superuser_reserved, reserved)
        cur.execute(_STATES)
        states = {state: count for state, count in cur.fetchall()}
        lag, problem = _replication(cur) if in_recovery else (None, None)
        return DatabaseFacts(
            engine="postgresql", endpoint=where.split(" ", 1)[1], version=version.split(" on ")[0],
            connections=sum(states.values()),
            connection_limit=limit, max_connections=max_connections, reserved=held, states=states,
            idle_in_transaction=_session(cur, _IDLE_IN_TRANSACTION),
            longest_query=_session(cur, _LONGEST_QUERY),
            is_replica=bool(in_recovery), replication_lag=lag, replication_problem=problem,
            largest_tables=_largest(cur, target.largest_tables),
            queries={q.name: _scalar(cur, q.query) for q in target.queries},
        )


def _require_all_sessions_visible(cur: psycopg.Cursor[Any], where: str, user: str) -> None:
    """Refuse to judge when other roles' sessions are hidden from the check's role: counting only
    the visible ones reads a nearly full server as nearly empty."""
    cur.execute(_HIDDEN_SESSIONS)
    hidden = cur.fetchone()[0]
    if hidden:
        raise ProbeConfigError(
            f"{where}: the check's role {user!r} cannot see {hidden} session(s) of other roles in "
            "pg_stat_activity (no state, no query), so connections, idle transactions and long queries "
            f"would be undercounted; run GRANT pg_monitor TO {sql_identifier(user)} (or pg_read_all_stats)"
        )


def sql_identifier(name: str) -> str:
    """`name` as PostgreSQL spells an identifier in a statement to paste (quoted when it must be)."""
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'


def slow_statements(target: DatabaseTarget, timeout: float) -> SlowStatements:
    """The slowest statements by mean time from pg_stat_statements, when it is installed."""
    where = f"postgresql {endpoint(target.url, 5432)}"
    with session(target.url, timeout, where) as cur:
        cur.execute(_HAS_PG_STAT_STATEMENTS)
        if not cur.fetchone()[0]:
            return SlowStatements(unavailable=(
                "pg_stat_statements is not installed in this database: add it to "
                "shared_preload_libraries and run CREATE EXTENSION pg_stat_statements"))
        try:
            cur.execute(_SLOWEST, (target.slow_statement_min_calls,))
        except pgerrors.ObjectNotInPrerequisiteState as exc:  # extension without the preload
            return SlowStatements(unavailable=f"pg_stat_statements is not collecting: {exc}".strip())
        return SlowStatements(rows=[(q, int(c), float(m)) for q, c, m in cur.fetchall()])


@contextmanager
def session(url: str, timeout: float, where: str) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor on a read-only autocommit session; connecting and every statement share `timeout`.

    The server cancels a statement past the timeout (statement_timeout); a server too stalled to do
    that loses the connection when the probe's time is up (`cut_off_at`)."""
    deadline = Deadline(timeout)
    options = (f"-c default_transaction_read_only=on -c statement_timeout={int(timeout * 1000)} "
               f"-c lock_timeout={int(timeout * 1000)}")
    given = conninfo_to_dict(url).get("options")
    try:
        # libpq counts connect_timeout in whole seconds, at least 2
        conn = psycopg.connect(
            url, connect_timeout=max(2, math.ceil(deadline.budget("connecting"))), autocommit=True,
            application_name="opsgate", options=f"{given} {options}" if given else options,
        )
    except psycopg.Error as exc:
        raise failure(exc, where, timeout, connecting=True) from None
    with cut_off_at(deadline, conn.fileno()) as cut_off:
        try:
            with conn, conn.cursor() as cur:
                yield cur
        except psycopg.Error as exc:
            if cut_off():
                raise stalled(where, timeout, "pg_stat_activity, pg_locks") from None
            raise failure(exc, where, timeout) from None


# The server's answers to a login it refuses. libpq reports connection failures as plain
# OperationalErrors without SQLSTATE, so for those the server's FATAL text is all there is; every
# error with a SQLSTATE is classified by it (psycopg.errors maps each SQLSTATE to a class).
_AUTH_ERRORS = (pgerrors.InvalidPassword, pgerrors.InvalidAuthorizationSpecification,
                pgerrors.InvalidCatalogName)
_LOGIN_REFUSED = re.compile(
    r'password authentication failed|no pg_hba\.conf entry|pg_hba\.conf rejects connection'
    r'|no password supplied|FATAL:\s+(?:database|role) "[^"]*" does not exist'
)
_NO_SLOT = re.compile(r"FATAL:\s+(?:sorry, too many clients already|remaining connection slots are reserved)")


def failure(
    exc: psycopg.Error, where: str, timeout: float, *, connecting: bool = False,
) -> ProbeFailure | ProbeConfigError:
    """The opsgate error for a psycopg error, with what to do about it.

    `connecting`: `exc` came from opening the connection, so its text may be the server's refusal of
    the login; a statement's error (`relation ... does not exist`) never reads as one.
    """
    full = str(exc)
    lines = full.strip().splitlines() or [type(exc).__name__]
    # libpq ends a connection error with its reason; a statement error starts with it (then LINE 1: ...).
    text = lines[-1] if connecting else lines[0]
    login_refused = connecting and exc.sqlstate is None
    if isinstance(exc, pgerrors.TooManyConnections) or (login_refused and _NO_SLOT.search(full)):
        return ProtocolFailure(
            f"{where}: connection limit reached: the server refused the check's connection ({text}); "
            "find idle sessions in pg_stat_activity (state, application_name) and the pool that leaks "
            "them, or raise max_connections / put PgBouncer in front"
        )
    if isinstance(exc, pgerrors.QueryCanceled):
        return ProbeTimeout(f"{where}: a catalog query took longer than {timeout:g}s (statement_timeout); "
                            "the server is overloaded or locked: check pg_stat_activity and pg_locks")
    if isinstance(exc, pgerrors.InsufficientPrivilege):
        return ProbeConfigError(f"{where}: permission denied: {text}; grant the check's role pg_monitor")
    if isinstance(exc, _AUTH_ERRORS) or (login_refused and _LOGIN_REFUSED.search(full)):
        return ProbeConfigError(f"{where}: the server rejected the profile's credentials or database: "
                                f"{text}; fix the url (e.g. DATABASE_URL) or pg_hba.conf")
    if isinstance(exc, pgerrors.ConnectionTimeout):
        return ProbeTimeout(f"{where}: no connection within {timeout:g}s: the host is down or a firewall "
                            "drops packets")
    if connecting and isinstance(exc, psycopg.OperationalError):
        return _unreachable(full, text, where)
    if isinstance(exc, psycopg.OperationalError):
        return Unreachable(f"{where}: {text}")
    return ProbeConfigError(f"{where}: {type(exc).__name__}: {text}")


def _unreachable(full: str, text: str, where: str) -> ProbeFailure:
    """A connection libpq could not open: its message carries the socket error's strerror text."""
    if "Connection refused" in full:
        return Unreachable(f"{where}: connection refused: is PostgreSQL running and listening there "
                           "(listen_addresses, port)?")
    if "could not translate host name" in full:
        return Unreachable(f"{where}: DNS lookup failed: {text} (check the host name)")
    return Unreachable(f"{where}: {text}")


def _session(cur: psycopg.Cursor[Any], sql: str) -> Session | None:
    cur.execute(sql)
    row = cur.fetchone()
    return Session(pid=row[0], user=row[1], seconds=float(row[2] or 0), query=row[3]) if row else None


def _replication(cur: psycopg.Cursor[Any]) -> tuple[float | None, str | None]:
    cur.execute(_REPLICATION_LAG)
    lag, receiver = cur.fetchone()
    problem = None if receiver == "streaming" else (
        f"WAL receiver is {receiver or 'not running'}, expected streaming")
    return (None if lag is None else float(lag)), problem


def _largest(cur: psycopg.Cursor[Any], limit: int) -> list[tuple[str, float]]:
    cur.execute(_LARGEST_TABLES, (limit,))
    return [(name, float(size)) for name, size in cur.fetchall()]


def _scalar(cur: psycopg.Cursor[Any], sql: str) -> QueryResult:
    """A custom query's number; an SQL error is this query's problem, not the whole probe's."""
    try:
        cur.execute(sql)
        row = cur.fetchone() if cur.description else None
    except pgerrors.QueryCanceled:
        raise
    except psycopg.errors.DatabaseError as exc:
        if isinstance(exc, psycopg.OperationalError):
            raise
        return QueryResult(problem=f"the query failed: {str(exc).strip().splitlines()[0]}")
    return number_of(row)

