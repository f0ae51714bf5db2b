"""The seed replicas on the demo target: under `/replicas/<seed>/` always, and at `/` in a mode."""

from __future__ import annotations

import typing

import httpx

from opsgate.demo import DemoProcess
from opsgate.demo.app import REPLICA_MODES
from opsgate.profile import Demo
from tests.conftest import RunChecks, free_port


def test_the_profile_offers_exactly_the_demos_modes() -> None:
    mode = Demo.model_fields["mode"].annotation
    assert set(typing.get_args(typing.get_args(mode)[0])) == set(REPLICA_MODES)


def test_a_mode_answers_as_its_seed_at_the_root_and_keeps_the_others(demo: DemoProcess) -> None:
    with DemoProcess(port=0, https_port=0, mode="kuya-comps") as kuya:
        assert httpx.get(f"{kuya.http_url}/health", timeout=5).json() == {"status": "healthy"}
        assert httpx.get(f"{kuya.http_url}/metrics", timeout=5).json()["cache"]["hit_rate"] == 68.12
        pincart = httpx.get(f"{kuya.http_url}/replicas/pincart/health", timeout=5).json()
        assert pincart["status"] == "ok"
        assert httpx.get(f"{kuya.http_url}/latency?fast=0&slow=0", timeout=5).status_code == 200
    # Without a mode, `/health` is the demo's own (PinCart-shaped) one.
    assert "redis" in httpx.get(f"{demo.http_url}/health", timeout=5).json()


def test_a_profile_starts_the_demo_in_its_mode(run_checks: RunChecks) -> None:
    port = free_port()
    result = run_checks(f"""
        name: t
        demo: {{mode: aliexpress-proxy, port: {port}, https_port: {free_port()}}}
        http:
          - {{name: health, url: "http://127.0.0.1:{port}/health", expect: {{json: {{status: healthy}}}}}}
          - name: admin-requires-key
            url: "http://127.0.0.1:{port}/admin/dashboard"
            expect: {{status: [401, 403]}}
    """)
    result.assert_outcomes(passed=2)


def test_an_unknown_mode_is_a_usage_error(run_checks: RunChecks) -> None:
    result = run_checks("""
        name: t
        demo: {mode: shopify}
        http: [{name: x, url: "http://127.0.0.1:1/"}]
    """)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*demo.mode: input should be 'pincart', 'aislemarts', 'kuya-comps', "
                                 "'support-agent' or 'aliexpress-proxy' (got 'shopify')"])
