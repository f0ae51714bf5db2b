"""The database probes against real servers: read-only sessions, saturation facts, stuck sessions."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import psycopg
import pymysql
import pytest

from opsgate.errors import ProbeConfigError, ProbeTimeout, ProtocolFailure, Unreachable
from opsgate.probes import mysql, postgres
from opsgate.probes.database import probe, slow_statements
from opsgate.targets.database import DatabaseTarget
from tests.conftest import free_port
from tests.servers import MariaServer, PostgresServer


def target(url: str, **fields: object) -> DatabaseTarget:
    return DatabaseTarget.model_validate({"name": "t", "url": url, **fields})


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with PostgresServer("max_connections=28", "log_statement=all") as server:
        with server.connect() as conn:
            conn.execute("CREATE ROLE app LOGIN")
            conn.execute("CREATE ROLE locked LOGIN PASSWORD 'right'")
            conn.execute(
                "CREATE TABLE big AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 20000) g"
            )
        hba = server.dir / "data" / "pg_hba.conf"  # rewritten in place: it stays the postgres user's
        rules = hba.read_text()
        hba.write_text("host all locked 127.0.0.1/32 scram-sha-256\n" + rules)
        with server.connect() as conn:
            conn.execute("SELECT pg_reload_conf()")
        yield server


@pytest.fixture(scope="module")
def maria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaServer]:
    with MariaServer(tmp_path_factory.mktemp("maria"), "--max-connections=10") as server:
        with server.connect() as conn, conn.cursor() as cur:
            cur.execute("CREATE DATABASE shop")
            cur.execute("CREATE TABLE shop.orders (id INT PRIMARY KEY) ENGINE=InnoDB")
        yield server


def test_postgres_facts(pg: PostgresServer) -> None:
    facts = probe(
        target(pg.url(), queries=[{"name": "rows", "query": "SELECT count(*) FROM big", "min": 1}]), 5
    )
    assert (facts.max_connections, facts.reserved, facts.connection_limit) == (28, 3, 25)
    assert facts.connections >= 1 and facts.states.get("active", 0) >= 1
    assert facts.largest_tables[0][0] == "public.big" and facts.largest_tables[0][1] > 4_000_000
    assert facts.queries["rows"].value == 20000
    assert not facts.is_replica


def test_postgres_16_reserved_connections_are_held_back_too() -> None:
    # PostgreSQL 15 (this machine's) has no reserved_connections: the arithmetic is tested alone.
    assert postgres.connection_slots(100, 3, 5) == (92, 8)
    assert postgres.connection_slots(28, 3, 0) == (25, 3)


def test_postgres_sessions_are_read_only(pg: PostgresServer) -> None:
    with postgres.session(pg.url(), 5, "pg") as cur, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        cur.execute("CREATE TABLE t (i int)")
    sneaky = "WITH x AS (INSERT INTO big VALUES (0, '') RETURNING 1) SELECT count(*) FROM x"
    facts = probe(target(pg.url(), queries=[{"name": "w", "query": sneaky, "max": 1}]), 5)
    assert "in a read-only transaction" in (facts.queries["w"].problem or "")


def test_postgres_probe_sends_only_reads(pg: PostgresServer) -> None:
    mark = pg.log.stat().st_size
    probe(target(pg.url(), queries=[{"name": "one", "query": "SELECT 1", "min": 1}]), 5)
    slow_statements(target(pg.url(), slow_statement_mean="1s"), 5)
    time.sleep(0.2)
    with pg.log.open() as log:
        log.seek(mark)
        # Simple statements log as "statement:", parametrized ones as "execute <unnamed>:".
        verbs = re.findall(r"LOG:  (?:statement|execute [^:]*): \s*(\S+)", log.read())
    assert len(verbs) >= 7
    assert {verb.upper() for verb in verbs} == {"SELECT"}, verbs


def test_postgres_stuck_sessions(pg: PostgresServer) -> None:
    idle = pg.connect()
    idle.execute("BEGIN")
    idle.execute("SELECT 1")
    sleeper = threading.Thread(target=lambda: pg.connect().execute("SELECT pg_sleep(2)"))
    sleeper.start()
    time.sleep(1.1)
    facts = probe(target(pg.url()), 5)
    sleeper.join()
    idle.close()
    assert facts.idle_in_transaction and facts.idle_in_transaction.seconds >= 1
    assert (
        facts.longest_query and "pg_sleep" in facts.longest_query.query and facts.longest_query.seconds >= 1
    )


def test_postgres_full_refuses_with_connection_limit_reached(pg: PostgresServer) -> None:
    held = [pg.connect("app") for _ in range(25)]
    try:
        with pytest.raises(ProtocolFailure, match=r"connection limit reached: the server refused"):
            probe(target(pg.url("app")), 5)
    finally:
        for conn in held:
            conn.close()


@pytest.mark.parametrize("url", [
    "postgresql://postgres@127.0.0.1:{port}/no_such_db",
    "postgresql://ghost@127.0.0.1:{port}/postgres",
    "postgresql://locked:wrong@127.0.0.1:{port}/postgres",
    "postgresql://locked@127.0.0.1:{port}/postgres",
])
def test_postgres_refused_logins_are_the_profiles_credentials(pg: PostgresServer, url: str) -> None:
    with pytest.raises(ProbeConfigError, match=r"rejected the profile's credentials or database: .*"
                                               r"(does not exist|password)"):
        probe(target(url.format(port=pg.port)), 5)


def test_a_missing_relation_in_a_statement_is_not_a_credentials_problem(pg: PostgresServer) -> None:
    with pytest.raises(ProbeConfigError) as raised, postgres.session(pg.url(), 5, "postgresql pg") as cur:
        cur.execute("SELECT count(*) FROM no_such_table")
    message = str(raised.value)
    assert 'UndefinedTable: relation "no_such_table" does not exist' in message
    assert "credentials" not in message


def test_postgres_refused_connection(pg: PostgresServer) -> None:
    with pytest.raises(Unreachable, match="connection refused: is PostgreSQL running"):
        probe(target(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"), 5)


def test_postgres_slow_statements_unavailable_without_the_extension(pg: PostgresServer) -> None:
    assert "pg_stat_statements is not installed" in (slow_statements(target(pg.url()), 5).unavailable or "")


def test_mariadb_facts_and_idle_transaction(maria: MariaServer) -> None:
    idle = maria.connect()
    with idle.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute("INSERT INTO shop.orders VALUES (1)")
    time.sleep(1.1)
    facts = probe(target(maria.url), 5)
    idle.close()
    assert facts.engine == "mariadb" and facts.max_connections == 10 and facts.connections >= 2
    assert facts.idle_in_transaction and facts.idle_in_transaction.seconds >= 1


def test_mariadb_sessions_are_read_only(maria: MariaServer) -> None:
    with mysql.session(maria.url, 5, "m") as cur, pytest.raises(pymysql.MySQLError, match="READ ONLY"):
        cur.execute("INSERT INTO shop.orders VALUES (2)")


def test_mariadb_full_refuses_with_connection_limit_reached(maria: MariaServer) -> None:
    held = [maria.connect() for _ in range(11)]  # max_connections + the one kept for SUPER
    try:
        with pytest.raises(ProtocolFailure, match=r"connection limit reached: .*error 1040"):
            probe(target(maria.url), 5)
    finally:
        for conn in held:
            conn.close()


def test_mariadb_refused_connection_by_errno(maria: MariaServer) -> None:
    with pytest.raises(Unreachable, match="connection refused: is the server running"):
        probe(target(f"mysql://root@127.0.0.1:{free_port()}/"), 5)


def test_mysql_error_text_with_111_is_not_a_refused_connection() -> None:
    # 2003 with "111" in the text, from a failed DNS lookup: not "connection refused".
    with pytest.raises(Unreachable) as raised:
        probe(target("mysql://root@db111.invalid:3306/"), 5)
    assert "error 2003" in str(raised.value) and "connection refused" not in str(raised.value)


@pytest.mark.parametrize(("granted", "missing"), [("PROCESS", "SLAVE MONITOR"), ("SLAVE MONITOR", "PROCESS")])
def test_mariadb_missing_grants_are_broken_not_green(maria: MariaServer, granted: str, missing: str) -> None:
    """Without SLAVE MONITOR, SHOW REPLICA STATUS is denied (1227): never "not a replica". Without
    PROCESS, other sessions' transactions cannot be read: never "no idle transaction"."""
    with maria.connect() as conn, conn.cursor() as cur:
        cur.execute("CREATE USER watcher@'%'")
        cur.execute(f"GRANT {granted} ON *.* TO watcher@'%'")
    try:
        with pytest.raises(ProbeConfigError) as raised:
            probe(target(f"mysql://watcher@127.0.0.1:{maria.port}/"), 5)
    finally:
        with maria.connect() as conn, conn.cursor() as cur:
            cur.execute("DROP USER watcher@'%'")
    message = str(raised.value)
    assert message.startswith(f"mysql 127.0.0.1:{maria.port}: permission denied (error 1227: ")
    assert missing in message.split("); ")[0] and "grant the check's user PROCESS and" in message


def test_mariadb_documented_grants_are_enough(maria: MariaServer) -> None:
    """docs/privileges.md: PROCESS and SLAVE MONITOR (MariaDB 10.5+) let every status query run."""
    with maria.connect() as conn, conn.cursor() as cur:
        cur.execute("CREATE USER monitor@'%'")
        cur.execute("GRANT PROCESS, SLAVE MONITOR ON *.* TO monitor@'%'")
    try:
        facts = probe(target(f"mysql://monitor@127.0.0.1:{maria.port}/"), 5)
    finally:
        with maria.connect() as conn, conn.cursor() as cur:
            cur.execute("DROP USER monitor@'%'")
    assert facts.engine == "mariadb" and not facts.is_replica and facts.replication_problem is None


def test_mariadb_statements_together_respect_the_probe_timeout(maria: MariaServer) -> None:
    """Three 0.8 s queries each fit the 2 s max_statement_time; together they overrun the probe's 2 s."""
    sleepy = [{"name": f"q{i}", "query": "SELECT SLEEP(0.8) + 1", "min": 1} for i in range(3)]
    started = time.monotonic()
    with pytest.raises(ProbeTimeout, match=rf"mysql 127.0.0.1:{maria.port}: the server did not answer "
                                           r"the check's queries within the probe's 2s"):
        probe(target(maria.url, queries=sleepy), 2)
    assert time.monotonic() - started < 2 + 2  # the run's guarantee: its deadline + 2 s
    assert probe(target(maria.url, queries=sleepy[:1]), 2).queries["q0"].value == 1


@pytest.mark.parametrize(("engine", "other"), [("mysql", "psycopg"), ("postgres", "pymysql")])
def test_each_engine_loads_only_its_own_driver(engine: str, other: str) -> None:
    code = f"import opsgate.probes.{engine}, sys; print({other!r} in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.fixture(scope="module")
def pg20() -> Iterator[PostgresServer]:
    """max_connections=20 (17 usable), a low-privilege checking role and 14 sessions of another."""
    with PostgresServer("max_connections=20") as server:
        with server.connect() as conn:
            for role in ("watcher", "busy", "Mixed Case"):
                conn.execute(f'CREATE ROLE "{role}" LOGIN')
        held = [server.connect("busy") for _ in range(14)]
        yield server
        for conn in held:
            conn.close()


@pytest.mark.parametrize(("user", "grant"), [("watcher", "watcher"), ("Mixed Case", '"Mixed Case"')])
def test_postgres_without_monitoring_privileges_is_broken_not_green(
        pg20: PostgresServer, user: str, grant: str) -> None:
    with pytest.raises(ProbeConfigError) as raised:
        probe(target(pg20.url(user.replace(" ", "%20"))), 5)
    assert str(raised.value) == (
        f"postgresql 127.0.0.1:{pg20.port}: the check's role {user!r} cannot see 14 session(s) of other "
        "roles in pg_stat_activity (no state, no query), so connections, idle transactions and long "
        f"queries would be undercounted; run GRANT pg_monitor TO {grant} (or pg_read_all_stats)")


def test_postgres_with_pg_monitor_counts_every_session(pg20: PostgresServer) -> None:
    with pg20.connect() as conn:
        conn.execute("GRANT pg_monitor TO watcher")
    try:
        facts = probe(target(pg20.url("watcher")), 5)
    finally:
        with pg20.connect() as conn:
            conn.execute("REVOKE pg_monitor FROM watcher")
    assert (facts.connections, facts.connection_limit) == (15, 17)
    assert facts.states == {"idle": 14, "active": 1}


def test_postgres_statements_together_respect_the_probe_timeout(pg: PostgresServer) -> None:
    """Three 0.8 s queries each fit the 2 s statement_timeout; together they overrun the probe's 2 s."""
    sleepy = [{"name": f"q{i}", "query": "SELECT 1 FROM pg_sleep(0.8)", "min": 1} for i in range(3)]
    started = time.monotonic()
    with pytest.raises(ProbeTimeout, match=rf"postgresql 127.0.0.1:{pg.port}: the server did not answer "
                                           r"the check's queries within the probe's 2s"):
        probe(target(pg.url(), queries=sleepy), 2)
    assert time.monotonic() - started < 2 + 2  # the run's guarantee: its deadline + 2 s
    assert probe(target(pg.url(), queries=sleepy[:1]), 2).queries["q0"].value == 1
