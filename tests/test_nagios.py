"""--exit-mode nagios from real runs: one line of plugin output with perfdata, and the exit code."""

from __future__ import annotations

import re

import pytest

from opsgate.demo import DemoProcess
from tests.conftest import RunChecks

# Nagios plugin output: text, then optionally ' | ' and space-separated 'label'=value;warn;crit
PERFDATA = re.compile(r"'(?:[^']|'')+'=-?[0-9.e+-]+;[0-9.e+-]*:?;[0-9.e+-]*:?")


def _one_line(result: pytest.RunResult) -> str:
    lines = [line for line in result.outlines if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def _profile(demo: DemoProcess, path: str = "health", warn: str = "2s") -> str:
    return f"""
        name: nag
        http:
          - name: api
            url: {demo.http_url}/{path}
            expect: {{response_time: {{warn: {warn}, crit: 5s}}}}
        latency:
          - {{name: api, url: "{demo.http_url}/health", samples: 20, p95: {{warn: 1s, crit: 2s}}}}
    """


def test_ok_with_perfdata_of_the_judged_values(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(_profile(demo), "--exit-mode=nagios")
    assert result.ret == 0
    line = _one_line(result)
    text, _, perf = line.partition(" | ")
    assert text == "OPSGATE OK - nag (all): 2 checks pass"
    items = perf.split(" '")
    assert all(PERFDATA.fullmatch(item if item.startswith("'") else f"'{item}") for item in items), perf
    assert re.search(r"'http\[api\] response time'=[0-9.e-]+;2;5( |$)", perf)
    assert re.search(r"'latency\[api\] p95'=[0-9.e-]+;1;2( |$)", perf)


def test_warning_when_only_warn_thresholds_are_crossed(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(_profile(demo, "slow?ms=150", warn="50ms"), "--exit-mode=nagios")
    assert result.ret == 1
    assert _one_line(result).startswith(
        "OPSGATE WARNING - nag (all): 1 of 2 checks warn; http[api] response time is ")


def test_critical_names_the_failure(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(_profile(demo, "status/503"), "--exit-mode=nagios", "-m", "smoke")
    assert result.ret == 2
    assert _one_line(result).startswith(
        "OPSGATE CRITICAL - nag (smoke): 1 of 1 checks failing; http[api] status 503 Service Unavailable")


def test_unknown_when_opsgate_cannot_judge(run_checks: RunChecks, demo: DemoProcess) -> None:
    bad = run_checks("name: bad\nhttp: [{name: a, url: 'http://127.0.0.1:1/', expect: {status: ok}}]\n",
                     "--exit-mode=nagios")
    assert bad.ret == 3
    assert _one_line(bad).startswith("OPSGATE UNKNOWN - opsgate profile error: ")
    assert "http[0].expect.status: expected a status code" in bad.outlines[0]
    empty = run_checks(_profile(demo), "--exit-mode=nagios", "-m", "monthly")
    assert empty.ret == 3
    assert _one_line(empty) == (
        "OPSGATE UNKNOWN - nag (monthly): no verdict (pytest exit status 5, 0 checks run)")
