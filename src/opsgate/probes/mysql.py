"""MySQL/MariaDB probe (PyMySQL): one read-only session, status and catalog queries only."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql
from pymysql.cursors import Cursor

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
from opsgate.probes.transport import root_cause
from opsgate.targets._urls import endpoint
from opsgate.targets.database import DatabaseTarget

_STATUS = ("SHOW GLOBAL STATUS WHERE Variable_name IN "
           "('Threads_connected', 'Threads_running', 'Max_used_connections')")
_COMMANDS = """
SELECT COMMAND, COUNT(*) FROM information_schema.PROCESSLIST
WHERE COMMAND NOT IN ('Daemon', 'Binlog Dump', 'Binlog Dump GTID') AND USER <> 'system user' GROUP BY COMMAND
"""
_IDLE_IN_TRANSACTION = """
SELECT p.ID, p.USER, p.TIME, COALESCE(t.trx_query, '')
FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
WHERE p.COMMAND = 'Sleep' AND p.ID <> CONNECTION_ID() ORDER BY p.TIME DESC LIMIT 1
"""
_LONGEST_QUERY = """
SELECT ID, USER, TIME, COALESCE(LEFT(INFO, 300), '') FROM information_schema.PROCESSLIST
WHERE COMMAND = 'Query' AND ID <> CONNECTION_ID() AND USER <> 'system user' ORDER BY TIME DESC LIMIT 1
"""
_LARGEST_TABLES = """
SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME), COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0)
FROM information_schema.TABLES
WHERE TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
ORDER BY 2 DESC LIMIT %s
"""
_SLOWEST = """
SELECT LEFT(DIGEST_TEXT, 300), COUNT_STAR, AVG_TIMER_WAIT / 1e12
FROM performance_schema.events_statements_summary_by_digest
WHERE COUNT_STAR >= %s AND DIGEST_TEXT IS NOT NULL ORDER BY AVG_TIMER_WAIT DESC LIMIT 10
"""
# Errors of the server (ER_*) and of the client (CR_*) that say what happened.
_TOO_MANY_CONNECTIONS = (1040, 1203)  # also ER_USER_LIMIT_REACHED for max_user_connections
_ACCESS = (1044, 1045, 1049, 1698)
_TIMEOUTS = (1969, 3024)  # MariaDB max_statement_time, MySQL max_execution_time
_LOST = (2006, 2013)
_DENIED = (1142, 1227)  # ER_TABLEACCESS_DENIED_ERROR, ER_SPECIFIC_ACCESS_DENIED_ERROR
_PARSE_ERROR = 1064


def probe(target: DatabaseTarget, timeout: float) -> DatabaseFacts:
    """Facts of the server behind `target.url`, every statement bounded by `timeout`."""
    where = f"mysql {endpoint(target.url, 3306)}"
    with session(target.url, timeout, where) as cur:
        cur.execute("SELECT VERSION(), @@GLOBAL.max_connections")
        version, max_connections = cur.fetchone()
        cur.execute(_STATUS)
        status = {name: int(value) for name, value in cur.fetchall()}
        cur.execute(_COMMANDS)
        states = {str(command).lower(): int(count) for command, count in cur.fetchall()}
        lag, replica, problem = _replication(cur)
        return DatabaseFacts(
            engine="mariadb" if "MariaDB" in version else "mysql",
            endpoint=where.split(" ", 1)[1], version=version,
            connections=status.get("Threads_connected", sum(states.values())),
            connection_limit=int(max_connections), max_connections=int(max_connections),
            high_water=status.get("Max_used_connections"), states=states,
            idle_in_transaction=_session(cur, _IDLE_IN_TRANSACTION),
            longest_query=_session(cur, _LONGEST_QUERY),
            is_replica=replica, replication_lag=lag, replication_problem=problem,
            largest_tables=_largest(cur, target.largest_tables),
            queries={q.name: _scalar(cur, q.query) for q in target.queries},
        )


def slow_statements(target: DatabaseTarget, timeout: float) -> SlowStatements:
    """The slowest statement digests by mean time, when performance_schema collects them."""
    where = f"mysql {endpoint(target.url, 3306)}"
    with session(target.url, timeout, where) as cur:
        cur.execute("SELECT @@GLOBAL.performance_schema")
        if not int(cur.fetchone()[0]):
            return SlowStatements(unavailable=(
                "performance_schema is OFF, so the server keeps no statement digests: set "
                "performance_schema=ON in the server configuration (needs a restart)"))
        cur.execute(_SLOWEST, (target.slow_statement_min_calls,))
        return SlowStatements(rows=[(q, int(c), float(m)) for q, c, m in cur.fetchall()])


@contextmanager
def session(url: str, timeout: float, where: str) -> Iterator[Cursor]:
    """A cursor on a read-only autocommit session; connecting and every statement share `timeout`.

    The server stops a statement past the timeout where it can (max_statement_time); a server too
    stalled for that loses the connection when the probe's time is up (`cut_off_at`)."""
    deadline = Deadline(timeout)
    parts = urlsplit(url)
    try:
        budget = deadline.budget("connecting")
        conn = pymysql.connect(
            host=parts.hostname, port=parts.port or 3306, user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""), database=unquote(parts.path.strip("/")) or None,
            connect_timeout=budget, read_timeout=budget, write_timeout=budget, autocommit=True,
            init_command="SET SESSION TRANSACTION READ ONLY", program_name="opsgate",
        )
    except pymysql.MySQLError as exc:
        raise failure(exc, where, timeout) from None
    # PyMySQL has no public accessor for its socket; the watchdog only needs its descriptor.
    with cut_off_at(deadline, conn._sock.fileno()) as cut_off:
        try:
            with conn.cursor() as cur:
                _limit_statement_time(cur, deadline.remaining())
                yield cur
        except pymysql.MySQLError as exc:
            if cut_off():
                raise stalled(where, timeout, "SHOW PROCESSLIST") from None
            raise failure(exc, where, timeout) from None
        finally:
            conn.close()


def failure(exc: pymysql.MySQLError, where: str, timeout: float) -> ProbeFailure | ProbeConfigError:
    """The opsgate error for a PyMySQL error, by the server's or client's error code and the errno
    of the socket error behind it, with what to do about it."""
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    cause = _socket_error(exc)
    if code in _TOO_MANY_CONNECTIONS:
        return ProtocolFailure(
            f"{where}: connection limit reached: the server refused the check's connection "
            f"(error {code}: {text}); find idle sessions in SHOW PROCESSLIST and the pool that leaks "
            "them, or raise max_connections"
        )
    if code in _ACCESS:
        return ProbeConfigError(f"{where}: the server rejected the profile's credentials or database "
                                f"(error {code}: {text}); fix the url (e.g. DATABASE_URL) or the grants")
    if code in _TIMEOUTS or (code in _LOST and isinstance(cause, TimeoutError)):
        return ProbeTimeout(f"{where}: a status query took longer than {timeout:g}s; the server is "
                            "overloaded or locked: check SHOW PROCESSLIST")
    if code == 2003 and isinstance(cause, TimeoutError):
        return ProbeTimeout(f"{where}: no connection within {timeout:g}s: the host is down or a firewall "
                            "drops packets")
    if code == 2003 and isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED:
        return Unreachable(f"{where}: connection refused: is the server running and listening there "
                           "(bind-address, port)?")
    if code in (2003, 2005) or code in _LOST:
        return Unreachable(f"{where}: error {code}: {text}")
    if code in _DENIED:
        return ProbeConfigError(f"{where}: permission denied (error {code}: {text}); {_GRANTS}")
    return ProbeConfigError(f"{where}: {type(exc).__name__}: {text}")


_GRANTS = ("grant the check's user PROCESS and REPLICATION CLIENT (MySQL), or PROCESS and "
           "SLAVE MONITOR (MariaDB 10.5+, also spelled REPLICA MONITOR)")


def _socket_error(exc: pymysql.MySQLError) -> OSError | None:
    """The socket error behind a client error (2003, 2013): PyMySQL keeps it as the context or in
    `original_exception`."""
    return root_cause(exc) or getattr(exc, "original_exception", None)


def _limit_statement_time(cur: Cursor, timeout: float) -> None:
    """Server-side statement timeout where the server has one (read_timeout bounds the rest)."""
    try:
        cur.execute("SET SESSION max_statement_time = %s", (float(timeout),))  # MariaDB, seconds
    except pymysql.MySQLError:
        with suppress(pymysql.MySQLError):
            cur.execute("SET SESSION max_execution_time = %s", (int(timeout * 1000),))  # MySQL, ms


def _replication(cur: Cursor) -> tuple[float | None, bool, str | None]:
    """(lag seconds, is a replica, problem) from SHOW REPLICA/SLAVE STATUS. A denied statement is
    an error (the check's grants), never "not a replica"."""
    for statement in ("SHOW REPLICA STATUS", "SHOW SLAVE STATUS"):
        try:
            cur.execute(statement)
        except pymysql.err.ProgrammingError as exc:
            if exc.args[0] == _PARSE_ERROR:
                continue  # syntax unknown to this version: try the older one
            raise
        columns = [d[0] for d in cur.description or ()]
        row = cur.fetchone()
        if row is None:
            return None, False, None
        return _replica_state(dict(zip(columns, row, strict=True)))
    return None, False, None


def _replica_state(status: dict[str, Any]) -> tuple[float | None, bool, str | None]:
    lag = status.get("Seconds_Behind_Source", status.get("Seconds_Behind_Master"))
    io = status.get("Replica_IO_Running", status.get("Slave_IO_Running"))
    sql = status.get("Replica_SQL_Running", status.get("Slave_SQL_Running"))
    problem = None
    if io != "Yes" or sql != "Yes":
        error = status.get("Last_IO_Error") or status.get("Last_SQL_Error") or ""
        problem = f"replication threads IO={io} SQL={sql}, expected both Yes {error}".strip()
    return (None if lag is None else float(lag)), True, problem


def _session(cur: Cursor, sql: str) -> Session | None:
    cur.execute(sql)
    row = cur.fetchone()
    return Session(pid=int(row[0]), user=str(row[1]), seconds=float(row[2] or 0), query=str(row[3])) \
        if row else None


def _largest(cur: Cursor, limit: int) -> list[tuple[str, float]]:
    cur.execute(_LARGEST_TABLES, (limit,))
    return [(str(name), float(size)) for name, size in cur.fetchall()]


def _scalar(cur: Cursor, sql: str) -> QueryResult:
    """A custom query's number; an SQL error is this query's problem, not the whole probe's."""
    try:
        cur.execute(sql)
    except (pymysql.err.ProgrammingError, pymysql.err.InternalError, pymysql.err.DataError) as exc:
        return QueryResult(problem=f"the query failed: error {exc.args[0]}: {exc.args[-1]}")
    except pymysql.err.OperationalError as exc:
        if exc.args and exc.args[0] in _TIMEOUTS + _LOST:
            raise
        return QueryResult(problem=f"the query failed: error {exc.args[0]}: {exc.args[-1]}")
    return number_of(cur.fetchone() if cur.description else None)
