"""Waivers in real runs: a covered failure reads "waived" in every output; an expired waiver
covers nothing and fails the run itself."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from prometheus_client.parser import text_string_to_metric_families

from opsgate.demo import DemoProcess
from tests.conftest import RunChecks


def _profile(demo: DemoProcess, expires: str, failing: bool = True) -> str:
    legacy = f"{demo.http_url}/status/503" if failing else f"{demo.http_url}/health"
    return f"""
        name: waived
        http:
          - {{name: legacy-admin, url: "{legacy}"}}
          - {{name: api, url: "{demo.http_url}/health"}}
        waivers:
          - check: "http[legacy-*]"
            reason: legacy admin is retired with ticket OPS-42
            owner: alice
            expires: {expires}
    """


def test_a_waived_failure_reads_waived_in_every_output(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
) -> None:
    textfile = pytester.path / "opsgate.prom"
    result = run_checks(_profile(demo, "2099-12-31"), f"--metrics-textfile={textfile}", "-rx")
    assert result.ret == 0
    result.assert_outcomes(passed=1, xfailed=1)
    why = "waived until 2099-12-31 by alice: legacy admin is retired with ticket OPS-42"
    result.stdout.fnmatch_lines([
        f"WAIVED http[[]legacy-admin[]]: status 503 Service Unavailable, expected 2xx; * ({why})",
        f"XFAIL *test_http.py::test_http[[]legacy-admin[]] - {why}",
    ])
    reports = pytester.path / "reports"
    summary = json.loads((reports / "summary.json").read_text())
    record = next(c for c in summary["checks"] if c["target"] == "legacy-admin")
    assert (record["outcome"], record["waiver"]) == ("waived", why)
    assert record["findings"][0]["message"].startswith("status 503")
    assert summary["totals"]["waived"] == 1 and summary["totals"]["fail"] == 0
    assert summary["waivers"] == [{"check": "http[legacy-*]", "owner": "alice", "expires": "2099-12-31",
                                   "reason": "legacy admin is retired with ticket OPS-42", "expired": False}]
    assert "| waived | http | legacy-admin |" in (reports / "summary.md").read_text()
    assert 'class="badge waived"' in (reports / "summary.html").read_text()
    junit = ET.parse(reports / "junit.xml").getroot()
    skipped = junit.find(".//testcase[@name='test_http[legacy-admin]']/skipped")
    assert skipped is not None and why in skipped.get("message", "")
    allure = [json.loads(p.read_text()) for p in (reports / "allure-results").glob("*-result.json")]
    waived = next(r for r in allure if r["name"] == "test_http[legacy-admin]")
    assert waived["status"] == "skipped" and why in waived["statusDetails"]["message"]
    metrics = {(s.name, s.labels.get("target")): s.value
               for family in text_string_to_metric_families(textfile.read_text()) for s in family.samples}
    assert metrics[("opsgate_check_success", "legacy-admin")] == 1
    assert metrics[("opsgate_check_waived", "legacy-admin")] == 1
    assert metrics[("opsgate_check_status", "legacy-admin")] == 2


def test_an_expired_waiver_covers_nothing_and_fails_the_run(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
) -> None:
    result = run_checks(_profile(demo, "2020-01-31"))
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["opsgate: waiver http[[]legacy-[*][]] (owner alice) expired on 2020-01-31: "
                                 "legacy admin is retired with ticket OPS-42; renew or remove it"])
    summary = json.loads((pytester.path / "reports" / "summary.json").read_text())
    assert summary["waivers"][0]["expired"] is True and summary["exit_status"] == 1


def test_an_expired_waiver_fails_even_a_green_run(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
) -> None:
    result = run_checks(_profile(demo, "2020-01-31", failing=False))
    result.assert_outcomes(passed=2)
    assert result.ret == 1
    html = (pytester.path / "reports" / "summary.html").read_text()
    assert "FAILED &middot; profile waived" in html
    assert "waiver http[legacy-*]</strong> (owner alice) expired" in html
    assert "## opsgate: FAILED" in (pytester.path / "reports" / "summary.md").read_text()


def test_a_waiver_needs_an_owner_and_a_date(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(f"""
        name: bad
        http: [{{name: api, url: "{demo.http_url}/health"}}]
        waivers:
          - {{check: "http[api]", reason: flaky, expires: someday}}
    """)
    assert result.ret == 4
    result.stderr.fnmatch_lines([
        "*profile.yaml: waivers?0?.owner: required key is missing",
        "*profile.yaml: waivers?0?.expires: input should be a valid date*",
    ])
