"""The HTTP check end to end: a real server, the plugin, messages and outcomes."""

from __future__ import annotations

from tests.conftest import RunChecks, free_port


def test_refused_connection_fails_with_its_reason(run_checks: RunChecks) -> None:
    port = free_port()
    result = run_checks(f"""
        name: t
        http:
          - {{name: api, url: "http://127.0.0.1:{port}/health"}}
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        f"*GET http://127.0.0.1:{port}/health: connection refused by "
        f"127.0.0.1:{port}: is the service running?",
    ])
