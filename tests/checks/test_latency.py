"""The latency check end to end against the demo target's known distribution."""

from __future__ import annotations

import uuid

from opsgate.demo import DemoProcess
from tests.conftest import RunChecks


def url(demo: DemoProcess, every: int) -> str:
    return f"{demo.http_url}/latency?fast=20&slow=200&every={every}&key={uuid.uuid4().hex}"


def test_under_the_slo_passes_and_over_fails(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(f"""
        name: t
        latency:
          - {{name: fast, url: "{url(demo, 10)}", samples: 100, concurrency: 5, p50: 100ms, p95: 1s}}
          - {{name: slow, url: "{url(demo, 10)}", samples: 100, concurrency: 5, p50: 100ms, p95: 100ms}}
    """, "-rA")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*latency slow: p95 is 2*ms over 100 samples, above the limit 100ms (crit); "
        "10 of 100 samples above 100ms; 95% bounds *: the endpoint is slower than its SLO*",
    ])


def test_confidence_changes_the_borderline_verdict(run_checks: RunChecks, demo: DemoProcess) -> None:
    # 1 in 15 slow: 4 of 60 samples above 100 ms, p95 point estimate ~200 ms, not significant.
    result = run_checks(f"""
        name: t
        latency:
          - {{name: point, url: "{url(demo, 15)}", samples: 60, concurrency: 4, p95: 100ms}}
          - {{name: sure, url: "{url(demo, 15)}", samples: 60, concurrency: 4, p95: 100ms,
              confidence: 0.95}}
    """)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*latency point: p95 is 2*ms over 60 samples, above the limit 100ms*"])
    result.stdout.fnmatch_lines(["*latency sure: p95 is 2*ms over 60 samples, above the crit limit "
                                 "100ms, but at confidence 0.95 the breach is not significant*"])


def test_unresolvable_percentile_is_a_usage_error(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(f"""
        name: t
        latency:
          - {{name: api, url: "{demo.http_url}/health", samples: 20, p99: 1s}}
    """)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*latency[[]0[]]: p99: 20 samples cannot resolve the p99*samples: 100*"])


def test_intrusive_marker_and_default_suite(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(f"""
        name: t
        latency:
          - {{name: gentle, url: "{demo.http_url}/slow?ms=1", samples: 20, p95: 1s}}
          - {{name: loud, url: "{demo.http_url}/slow?ms=1", samples: 20, concurrency: 4, p95: 1s}}
    """, "-m", "daily and not intrusive", "-v")
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["*test_latency[[]gentle[]] PASSED*"])


def test_timeout_is_per_request_so_a_healthy_plan_is_never_cut_short(
        run_checks: RunChecks, demo: DemoProcess) -> None:
    # `defaults: {timeout: 1s}` with 60 samples at p95 200 ms: when `timeout` bounded the whole
    # run this read "only 29 of 60 samples finished … raise the target's timeout", plus a bogus
    # "1 of 30 requests failed" for the request the budget cut off.
    result = run_checks(f"""
        name: t
        defaults: {{timeout: 1s}}
        latency:
          - {{name: api, url: "{url(demo, 10)}", samples: 60, p95: 1s}}
    """, "-rA")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*failed*first*")
