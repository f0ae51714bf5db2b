"""The metrics check end to end: Prometheus (real server), JSON metrics and text exposition."""

from __future__ import annotations

import httpx

from opsgate.demo import DemoProcess
from tests.conftest import RunChecks
from tests.servers_prometheus import PrometheusServer, prometheus_fixture  # noqa: F401


def test_prometheus_breach_no_data_nan_and_series(run_checks: RunChecks,
                                                  prometheus: PrometheusServer) -> None:
    result = run_checks(f"""
        name: t
        metrics:
          - {{name: hit-ok, prometheus: "{prometheus.url}", query: demo_cache_hit_ratio, min: 0.5}}
          - {{name: hit-low, prometheus: "{prometheus.url}", query: demo_cache_hit_ratio, min: 0.9}}
          - {{name: absent, prometheus: "{prometheus.url}", query: opsgate_no_such_metric, max: 1}}
          - {{name: nan, prometheus: "{prometheus.url}", query: 0/0, max: 1}}
          - name: by-status
            prometheus: "{prometheus.url}"
            query: 'sum by (status) (demo_http_requests_total{{path="/status/{{code}}"}})'
            max: 2
          - {{name: typo, prometheus: "{prometheus.url}", query: "sum(", max: 1}}
    """, "-v")
    result.assert_outcomes(passed=1, failed=5)
    result.stdout.fnmatch_lines_random([
        "*metrics hit-low: query demo_cache_hit_ratio{*instance=*job=\"demo\"} is 0.83, below the "
        "minimum 0.9 (crit)*",
        "*metrics absent: no data for query opsgate_no_such_metric from Prometheus at *: the query "
        "returned an empty vector*never green*",
        "*metrics nan: no data: query 0/0 is NaN*",
        "*metrics by-status: 2 problem(s):*",
        '*query sum by (status) *{status="201"} is 5, above the limit 2 (crit)*1 of 3)*',
        '*query sum by (status) *{status="500"} is 3, above the limit 2 (crit)*',
        "*metrics typo: Prometheus rejected the query (bad_data)*",
    ])
    assert '{status="404"} is' not in result.stdout.str()


def test_json_and_exposition_against_the_demo(run_checks: RunChecks, demo: DemoProcess) -> None:
    for code in (200, 200, 200, 500):
        httpx.get(f"{demo.http_url}/status/{code}", timeout=5)
    base = demo.http_url
    result = run_checks(f"""
        name: t
        metrics:
          - {{name: comps-p95, url: "{base}/metrics.json", json_path: endpoints./comps.p95_response_time_ms,
              max: 2000}}
          - {{name: hit, url: "{base}/metrics.json", json_path: cache.hit_rate, min: 0.9, unit: ratio}}
          - {{name: missing, url: "{base}/metrics.json", json_path: cache.evictions, max: 1}}
          - {{name: active, url: "{base}/metrics", select: demo_active_requests, max: 10}}
          - name: errors
            url: "{base}/metrics"
            select: 'demo_http_requests_total{{status=~"5.."}}'
            divide_by: 'demo_http_requests_total{{path="/status/{{code}}"}}'
            max: 0.01
            unit: ratio
          - {{name: typo, url: "{base}/metrics", select: demo_http_request_total, max: 1}}
    """)
    result.assert_outcomes(passed=2, failed=4)
    result.stdout.fnmatch_lines_random([
        "*metrics hit: cache.hit_rate is 0.83 (83%), below the minimum 0.9 (90%) (crit)*",
        "*metrics missing: no data for cache.evictions from JSON metrics at *: JSON path "
        "cache.evictions does not exist*",
        '*metrics errors: demo_http_requests_total{status=~"5.."} / demo_http_requests_total'
        '{path="/status/{code}"} is 0.* above the limit 0.01*',
        "*metrics typo: no data for demo_http_request_total from metrics exposition at *: no metric "
        "named demo_http_request_total in the exposition (similar: *demo_http_requests_total*",
    ])


def test_broken_demo_fails_its_json_metrics(run_checks: RunChecks, broken_demo: DemoProcess) -> None:
    result = run_checks(f"""
        name: t
        metrics:
          - {{name: comps-p95, url: "{broken_demo.http_url}/metrics.json",
              json_path: endpoints./comps.p95_response_time_ms, max: {{warn: 1500, crit: 2000}}, unit: ms}}
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*endpoints./comps.p95_response_time_ms is 2600ms, above the limit "
                                 "2000ms (crit)*"])
