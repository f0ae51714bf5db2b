"""The logs check end to end: log files written here, the plugin, thresholds and messages."""

from __future__ import annotations

import pytest

from tests.conftest import RunChecks
from tests.probes.test_log import combined, iso, write


def test_a_quiet_log_passes_and_a_noisy_one_fails_with_its_most_frequent_line(
    run_checks: RunChecks, pytester: pytest.Pytester
) -> None:
    write(pytester.path / "logs" / "access.log",
          [combined(m, 401, "/admin") for m in (30, 20, 10, 5)] + [combined(2, 200)])
    write(pytester.path / "logs" / "app.log",
          [f"{iso(300)} [ERROR] Configuration validation failed", f"{iso(1)} INFO started"])
    result = run_checks("""
        name: t
        logs:
          - name: auth-failures
            file: logs/access.log
            pattern: '" (401|403) '
            window: 1h
            max_matches: 3
            runbook: "Check for brute-force attempts; block the IP at the edge"
          - name: config-errors
            file: logs/app.log
            pattern: '\\[ERROR\\] Configuration validation failed'
            window: 1h
    """, "-m", "daily")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*logs auth-failures: lines matching /\" (401|403) / in the last 60m of logs/access.log is 4, "
        "above the limit 3 (crit): most frequent (4x): '203.0.113.7 - - *\"GET /admin HTTP/1.1\" 401 *'; "
        "read the log around them*",
        "*Runbook: Check for brute-force attempts; block the IP at the edge",
    ])


def test_a_warn_limit_passes_with_a_warning(run_checks: RunChecks, pytester: pytest.Pytester) -> None:
    write(pytester.path / "app.log", [f"{iso(m)} ERROR upstream timeout" for m in (9, 8, 7)])
    result = run_checks("""
        name: t
        logs:
          - {name: errors, file: app.log, pattern: ERROR, window: 15m, max_matches: {warn: 2, crit: 10}}
    """)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*logs errors: lines matching /ERROR/ in the last 15m of app.log is 3, "
                                 "above the limit 2 (warn)*"])


def test_profile_mistakes_are_usage_errors(run_checks: RunChecks) -> None:
    result = run_checks("""
        name: t
        logs:
          - {name: a, pattern: ERROR}
          - {name: b, file: x.log, command: "kubectl logs api", pattern: "("}
          - {name: c, file: x.log, pattern: ERROR, format: "%Q"}
    """)
    assert result.ret == 4
    result.stderr.fnmatch_lines_random([
        "*logs[[]0]: give exactly one source: 'file', 'journald' or 'command'",
        "*logs[[]1].pattern: invalid regular expression '(':*",
        "*logs[[]2].format: format '%Q': %Q is not supported (use %Y, *",
    ])
