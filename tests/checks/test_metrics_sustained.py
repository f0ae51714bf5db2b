""""Sustained for N minutes" alert semantics in PromQL, against a real Prometheus scraping the demo.

The documented forms (docs/checks/metrics-sustained.md): `min_over_time((EXPR)[W:step])` is above a
limit only when EXPR stayed above it for the whole window W; the instant EXPR trips on a spike.
A burst of 418s moves the instant counter at once; the sustained form follows only after a window.
"""

from __future__ import annotations

import time

import httpx

from tests.conftest import RunChecks
from tests.servers_prometheus import PrometheusServer, prometheus_fixture  # noqa: F401

SERIES = 'sum(demo_http_requests_total{status="418"}) or vector(0)'


def value(prometheus: PrometheusServer, query: str) -> float:
    return float(prometheus.query(query)["result"][0]["value"][1])


def wait_for(prometheus: PrometheusServer, query: str, at_least: float) -> None:
    deadline = time.monotonic() + 60
    while value(prometheus, query) < at_least:
        assert time.monotonic() < deadline, f"{query} never reached {at_least}"
        time.sleep(0.5)


def test_a_spike_trips_the_instant_query_but_not_the_sustained_one_until_it_lasts(
    run_checks: RunChecks, prometheus: PrometheusServer
) -> None:
    before = value(prometheus, SERIES)
    time.sleep(2.5)  # two scrapes at the old level, so the window starts below the limit
    for _ in range(5):
        httpx.get(f"{prometheus.demo.http_url}/status/418", timeout=5)
    wait_for(prometheus, SERIES, before + 5)
    limit = before + 2
    profile = f"""
        name: t
        metrics:
          - {{name: instant, prometheus: "{prometheus.url}", query: '{SERIES}', max: {limit}}}
          - name: sustained-1m
            prometheus: "{prometheus.url}"
            query: 'min_over_time(({SERIES})[1m:1s])'
            max: {limit}
    """
    result = run_checks(profile)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"*metrics instant: query * is {before + 5:g}, above the limit {limit:g}*"])
    # Once the new level has lasted a whole (short) window, the sustained form trips too.
    sustained = f"min_over_time(({SERIES})[3s:1s])"
    wait_for(prometheus, sustained, before + 5)
    result = run_checks(f"""
        name: t
        metrics:
          - {{name: sustained-3s, prometheus: "{prometheus.url}", query: '{sustained}', max: {limit}}}
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*metrics sustained-3s: query min_over_time* is {before + 5:g}, above the "
                                 f"limit {limit:g}*"])
