"""The rate_limits check end to end against the demo's real limited route (and its never-limiting twin)."""

from __future__ import annotations

import uuid

from opsgate.demo import DemoProcess
from tests.conftest import RunChecks


def limited(demo: DemoProcess, limit: int) -> str:
    return f"{demo.http_url}/rate-limited?limit={limit}&window=60&key={uuid.uuid4().hex}"


def test_a_limit_enforced_as_documented_passes(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(f"""
        name: t
        rate_limits:
          - {{name: pins, url: "{limited(demo, 5)}", limit: 5, window: 1m}}
    """, "-m", "weekly and intrusive", "-rA")
    result.assert_outcomes(passed=1)


def test_a_missing_limit_and_a_stricter_one_fail(
    run_checks: RunChecks, demo: DemoProcess, broken_demo: DemoProcess
) -> None:
    result = run_checks(f"""
        name: t
        rate_limits:
          - name: never-limits
            url: "{limited(broken_demo, 5)}"
            limit: 5
            window: 1m
            runbook: "PinCart: 30 req/min per IP on /api/*"
          - {{name: stricter, url: "{limited(demo, 3)}", limit: 5, margin: 2}}
    """)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines_random([
        "*rate_limits never-limits: no 429 after 6 requests (documented limit 5 per 60s + margin 1): the "
        "rate limit is not enforced; check the limiter's configuration*",
        "*Runbook: PinCart: 30 req/min per IP on /api/*",
        "*rate_limits stricter: 429 at request 4, within the documented limit of 5: the limit is stricter "
        "than documented, or other traffic from this client shares the window*",
    ])


def test_it_is_intrusive_and_paced_within_its_timeout(run_checks: RunChecks, demo: DemoProcess) -> None:
    profile = f"""
        name: t
        rate_limits:
          - {{name: slow-pace, url: "{limited(demo, 50)}", limit: 50, rate: 5, timeout: 1s}}
    """
    run_checks(profile, "-m", "not intrusive").assert_outcomes(deselected=1)
    result = run_checks(profile)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*rate_limits[[]slow-pace]*", "*of up to 55 requests sent when the 1s "
                                 "timeout ran out; at 5/s the probe needs about 11s: raise `timeout`*"])


def test_a_wrong_url_is_not_mistaken_for_a_limit(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(f"""
        name: t
        rate_limits:
          - {{name: typo, url: "{demo.http_url}/no-such-route", limit: 5}}
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*GET */no-such-route: request 1 answered 404 Not Found, not 2xx or 429: "
                                 "the limit cannot be probed*"])
