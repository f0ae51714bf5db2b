"""--metrics-textfile and --pushgateway from real runs, read back by prometheus_client's parser,
a real Pushgateway and a real Prometheus scraping it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from opsgate.demo import DemoProcess
from tests.conftest import RunChecks, free_port
from tests.servers_monitoring import prometheus_scraping, pushgateway, query_until


def _profile(demo: DemoProcess) -> str:
    return f"""
        name: exported
        http:
          - name: up
            url: {demo.http_url}/health
            expect: {{response_time: {{warn: 2s, crit: 5s}}}}
          - {{name: down, url: "{demo.http_url}/status/503"}}
        latency:
          - {{name: api, url: "{demo.http_url}/health", samples: 20, p95: 2s}}
    """


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _labels(target: str, kind: str = "http", **extra: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"profile": "exported", "kind": kind, "target": target, "suite": "all",
                         "vantage": socket.gethostname(), **extra}.items()))


def test_the_textfile_parses_back_with_every_metric(
    run_checks: RunChecks, demo: DemoProcess, tmp_path: Path,
) -> None:
    textfile = tmp_path / "opsgate.prom"
    result = run_checks(_profile(demo), f"--metrics-textfile={textfile}")
    assert result.ret == 1
    samples = _samples(textfile.read_text())
    assert samples[("opsgate_check_success", _labels("up"))] == 1
    assert samples[("opsgate_check_success", _labels("down"))] == 0
    assert samples[("opsgate_check_status", _labels("up"))] == 0
    assert samples[("opsgate_check_status", _labels("down"))] == 2
    assert samples[("opsgate_check_duration_seconds", _labels("up"))] > 0
    assert 0 < samples[("opsgate_check_value", _labels("up", measure="response time"))] < 5
    assert 0 < samples[("opsgate_check_value", _labels("api", kind="latency", measure="p95"))] < 2
    last = samples[("opsgate_last_run_timestamp_seconds",
                    (("profile", "exported"), ("suite", "all")))]
    assert last > textfile.stat().st_mtime - 60


def test_the_textfile_is_replaced_not_rewritten(
    run_checks: RunChecks, demo: DemoProcess, tmp_path: Path,
) -> None:
    """node_exporter may read at any moment: a new file is renamed over the old one."""
    textfile = tmp_path / "opsgate.prom"
    run_checks(_profile(demo), f"--metrics-textfile={textfile}", "-m", "daily")
    first = textfile.stat().st_ino
    run_checks(_profile(demo), f"--metrics-textfile={textfile}", "-m", "daily")
    assert textfile.stat().st_ino != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["opsgate.prom"]
    assert ('suite', 'daily') in next(iter(_samples(textfile.read_text())))[1]


@pytest.mark.parametrize(("option", "message"), [
    ("--metrics-textfile=/nonexistent/dir/opsgate.prom",
     "*--metrics-textfile /nonexistent/dir/opsgate.prom: the directory /nonexistent/dir does not exist"),
    ("--pushgateway=pushgateway:9091",
     "*--pushgateway pushgateway:9091: expected an http:// or https:// URL, e.g. "
     "--pushgateway=http://pushgateway:9091"),
])
def test_bad_export_options_are_usage_errors(
    run_checks: RunChecks, demo: DemoProcess, option: str, message: str,
) -> None:
    result = run_checks(_profile(demo), option)
    assert result.ret == 4
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()


@pytest.fixture(scope="module")
def monitoring() -> Iterator[tuple[str, str]]:
    with pushgateway() as gateway, prometheus_scraping(gateway) as prometheus:
        yield gateway, prometheus


def test_pushed_results_reach_prometheus_through_a_real_pushgateway(
    run_checks: RunChecks, demo: DemoProcess, monitoring: tuple[str, str],
) -> None:
    gateway, prometheus = monitoring
    result = run_checks(_profile(demo), f"--pushgateway={gateway}", "-m", "smoke")
    assert result.ret == 1
    pushed = _samples(httpx.get(f"{gateway}/metrics", timeout=5).text)
    grouped = (("instance", ""), ("job", "opsgate"), *_labels("down", suite="smoke"))
    assert pushed[("opsgate_check_status", tuple(sorted(grouped)))] == 2

    scraped = query_until(prometheus, 'opsgate_check_success{profile="exported",suite="smoke"}')
    assert {r["metric"]["target"]: r["value"][1] for r in scraped} == {"up": "1", "down": "0"}
    assert all(r["metric"]["job"] == "opsgate" for r in scraped)


def test_an_unreachable_pushgateway_is_said_and_leaves_the_verdict_alone(
    run_checks: RunChecks, demo: DemoProcess,
) -> None:
    port = free_port()
    result = run_checks(f"""
        name: exported
        http: [{{name: up, url: "{demo.http_url}/health"}}]
    """, f"--pushgateway=http://127.0.0.1:{port}")
    assert result.ret == 0
    result.stdout.fnmatch_lines([f"opsgate: metrics not pushed to http://127.0.0.1:{port}: *refused*"])
