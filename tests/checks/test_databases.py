"""The database checks end to end: saturated throwaway servers, the plugin, the messages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import RunChecks
from tests.servers import MariaServer, PostgresServer


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with PostgresServer("max_connections=28") as server:
        server.connect().execute("CREATE ROLE app LOGIN")
        yield server


def profile(url: str, extra: str = "") -> str:
    return f"""
        name: t
        databases:
          - {{name: main, url: "{url}"{extra}}}
    """


def hold(server: PostgresServer, count: int) -> list:
    return [server.connect("app") for _ in range(count)]


def test_the_machines_databases_pass(run_checks: RunChecks) -> None:
    result = run_checks(
        """
        name: t
        databases:
          - {name: pg, url: "postgresql://postgres@127.0.0.1:5432/postgres"}
          - {name: maria, url: "mysql://root@127.0.0.1:3306/"}
    """,
        "-m",
        "smoke",
    )
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("held", "outcome", "line"),
    [
        (
            20,
            "passed",
            "*connections/limit is 84%, above the limit 80% (warn): 21 of 25 usable connections*",
        ),
        (
            24,
            "failed",
            "*databases main: connections/limit is 100%, above the limit 95% (crit): 25 of 25 usable "
            "connections (* idle, 1 active); new clients are refused at 100%*",
        ),
    ],
)
def test_connection_ratio(
    run_checks: RunChecks, pg: PostgresServer, held: int, outcome: str, line: str
) -> None:
    connections = hold(pg, held)
    try:
        result = run_checks(profile(pg.url()))
    finally:
        for conn in connections:
            conn.close()
    result.assert_outcomes(**{outcome: 1})
    result.stdout.fnmatch_lines([line])


def test_a_full_server_fails_with_connection_limit_reached(run_checks: RunChecks, pg: PostgresServer) -> None:
    connections = hold(pg, 25)
    try:
        result = run_checks(profile(pg.url("app")))
    finally:
        for conn in connections:
            conn.close()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"postgresql 127.0.0.1:{pg.port}: connection limit reached: "
            "the server refused the check's connection*"
        ]
    )


def test_custom_query_below_its_minimum_fails(run_checks: RunChecks, pg: PostgresServer) -> None:
    result = run_checks(profile(pg.url(), ', queries: [{name: orders-today, query: "SELECT 0", min: 1}]'))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*query 'orders-today' is 0, below the minimum 1 (crit)*"])


def test_slow_statements_skip_with_a_reason_in_the_summaries(
    run_checks: RunChecks, pg: PostgresServer, pytester: pytest.Pytester,
) -> None:
    # Without -rs: the opsgate summary and summary.md give every skip's reason by themselves.
    result = run_checks(profile(pg.url(), ", slow_statement_mean: 1s"))
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines([
        "SKIP  slow_statements?main?: slow statements not judged: "
        "pg_stat_statements is not installed*"])
    summary_md = (pytester.path / "reports" / "summary.md").read_text()
    assert "| skip | slow_statements | main | " in summary_md
    assert "pg_stat_statements is not installed" in summary_md


def test_mariadb_near_and_at_its_limit(
    run_checks: RunChecks, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with MariaServer(tmp_path_factory.mktemp("maria"), "--max-connections=10") as server:
        held = [server.connect() for _ in range(8)]
        near = run_checks(profile(server.url))
        held += [server.connect() for _ in range(3)]
        full = run_checks(profile(server.url))
        for conn in held:
            conn.close()
    near.assert_outcomes(passed=1)
    near.stdout.fnmatch_lines(["*connections/limit is 90%, above the limit 80% (warn)*"])
    full.assert_outcomes(failed=1)
    full.stdout.fnmatch_lines([f"*mysql 127.0.0.1:{server.port}: connection limit reached*error 1040*"])
