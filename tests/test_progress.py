"""The terminal's progress line and its interval, in a real run."""

from __future__ import annotations

from opsgate.demo import DemoProcess
from tests.conftest import RunChecks, free_port


def _profile(demo: DemoProcess) -> str:
    return f"""
        name: progress
        http:
          - {{name: up, url: "{demo.http_url}/health"}}
          - {{name: down, url: "http://127.0.0.1:{free_port()}/", timeout: 1s}}
          - {{name: also-up, url: "{demo.http_url}/status/200"}}
    """


def test_progress_counts_checks_done_of_the_total_and_failures_so_far(
    run_checks: RunChecks, demo: DemoProcess,
) -> None:
    result = run_checks(_profile(demo), "--opsgate-progress=0", "-q")
    result.stdout.fnmatch_lines([
        "opsgate: 1/3 checks done, 0 failing (*s)",
        "opsgate: 2/3 checks done, 1 failing (*s)",
        "opsgate: 3/3 checks done, 1 failing (*s)",
    ])


def test_progress_stays_quiet_within_its_interval(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(_profile(demo), "--opsgate-progress=3600")
    assert "checks done" not in result.stdout.str()


def test_the_end_names_the_slowest_checks(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(f"""
        name: slowest
        http:
          - {{name: quick, url: "{demo.http_url}/health"}}
        latency:
          - {{name: sampled, url: "{demo.http_url}/health", samples: 40, p95: 2s}}
    """)
    result.stdout.fnmatch_lines(["slowest checks: *[[]*[]] *s, *[[]*[]] *s"])
