"""The plugin end to end in a subprocess: profile option, markers, ids, verdicts, reports."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import httpx
import pytest

from opsgate.demo import DemoProcess
from tests.conftest import RunChecks, free_port

SECRET = "s3cr3t-admin-key-42"


def suite_profile(demo: DemoProcess) -> str:
    return f"""
        name: plugin-test
        defaults: {{timeout: 3s}}
        http:
          - name: api-health
            url: {demo.http_url}/health
            expect: {{status: 200, json: {{status: ok, redis: true}}}}
          - name: nightly
            url: {demo.http_url}/status/200
            suites: [daily]
          - name: frontend
            url: {demo.https_url}/
            ca_bundle: {demo.ca_bundle}
            security_headers: baseline
    """


def test_no_profile_is_a_usage_error_that_says_how(run_checks: RunChecks) -> None:
    result = run_checks(None)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*opsgate checks need a profile: pass --profile NAME*"])


def test_collect_only_lists_readable_ids_and_sends_nothing(run_checks: RunChecks) -> None:
    with DemoProcess(port=0, https_port=0) as quiet:
        result = run_checks(suite_profile(quiet), "--collect-only", "-q")
        metrics = httpx.get(f"{quiet.http_url}/metrics").text
    assert result.ret == 0
    counted = [line for line in metrics.splitlines() if line.startswith("demo_http_requests_total{")]
    assert counted == [], f"collect-only sent traffic: {counted}"
    result.stdout.fnmatch_lines([
        "test_http.py::test_http?api-health?",
        "test_http.py::test_http?nightly?",
        "test_http.py::test_http?frontend?",
        "test_security_headers.py::test_security_headers?frontend?",
    ])


def test_smoke_marker_selects_exactly_the_smoke_checks(
    run_checks: RunChecks, demo: DemoProcess,
) -> None:
    result = run_checks(suite_profile(demo), "-m", "smoke", "-v")
    result.assert_outcomes(passed=2, deselected=2)
    result.stdout.fnmatch_lines(["*test_http?api-health? PASSED*", "*test_http?frontend? PASSED*"])
    assert "nightly" not in result.stdout.str().split("deselected")[-1]


def test_weekly_runs_the_security_headers_by_default(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(suite_profile(demo), "-m", "weekly", "-v")
    result.assert_outcomes(passed=1, deselected=3)
    result.stdout.fnmatch_lines(["*test_security_headers?frontend? PASSED*"])


def test_a_targets_suites_override_the_checks_own_defaults(run_checks: RunChecks) -> None:
    # No traffic: --collect-only. `pinned` asks for smoke only, `default` keeps the check's weekly.
    result = run_checks("""
        name: suites
        http:
          - {name: pinned, url: "http://127.0.0.1:1/", security_headers: baseline, suites: [smoke]}
          - {name: default, url: "http://127.0.0.1:1/", security_headers: baseline}
    """, "--collect-only", "-q", "-m", "weekly")
    assert result.ret == 0
    selected = [line.removeprefix("checks/") for line in result.stdout.lines if "::" in line]
    assert selected == ["test_security_headers.py::test_security_headers[default]"]


def test_unused_kinds_make_no_noise(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(f"""
        name: only-http
        http: [{{name: a, url: "{demo.http_url}/health"}}]
    """, "-rs")
    result.assert_outcomes(passed=1)
    assert "skipped" not in result.stdout.str()


def test_warn_passes_with_a_warning_and_strict_modes_fail(
    run_checks: RunChecks, demo: DemoProcess,
) -> None:
    profile = f"""
        name: warn
        http:
          - name: slowish
            url: {demo.http_url}/slow?ms=150
            expect: {{response_time: {{warn: 50ms, crit: 5s}}}}
    """
    lenient = run_checks(profile)
    lenient.assert_outcomes(passed=1, warnings=1)
    lenient.stdout.fnmatch_lines(["*ThresholdWarning: http slowish: response time is *ms, above the "
                                  "limit 50ms (warn)*", "WARN  http?slowish?: *"])
    strict = run_checks(profile, "--opsgate-strict")
    strict.assert_outcomes(failed=1)
    as_error = run_checks(profile, "-W", "error::opsgate.ThresholdWarning")
    as_error.assert_outcomes(failed=1)


def test_reports_are_written_and_secrets_never_leak(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ADMIN_API_KEY", SECRET)
    result = run_checks(f"""
        name: reports
        secrets: [ADMIN_API_KEY]
        http:
          - name: admin
            url: {demo.http_url}/status/503?key=${{ADMIN_API_KEY}}
            headers: {{X-Admin-API-Key: "${{ADMIN_API_KEY}}"}}
            runbook: https://runbooks.example/admin
          - name: health
            url: {demo.http_url}/health
    """)
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*status 503 Service Unavailable, expected 2xx*",
                                 "*Runbook: https://runbooks.example/admin*"])
    reports = pytester.path / "reports"
    texts = {"stdout": result.stdout.str()}
    for path in [reports / "junit.xml", reports / "summary.json", reports / "summary.md",
                 reports / "summary.html", *(reports / "allure-results").iterdir()]:
        texts[str(path)] = path.read_text(errors="replace")
    assert not [where for where, text in texts.items() if SECRET in text]

    summary = json.loads((reports / "summary.json").read_text())
    assert summary["schema"] == "opsgate.summary/2" and summary["profile"] == "reports"
    assert summary["totals"] == {"pass": 1, "warn": 0, "fail": 1, "error": 0, "waived": 0, "skip": 0}
    failed = next(c for c in summary["checks"] if c["target"] == "admin")
    assert failed["check"] == "http" and failed["outcome"] == "fail"
    assert "status 503" in failed["message"]
    assert ET.parse(reports / "junit.xml").getroot().find(".//testcase") is not None
    assert "| fail | http | admin |" in (reports / "summary.md").read_text()
    results = [json.loads(p.read_text()) for p in (reports / "allure-results").glob("*-result.json")]
    assert {r["status"] for r in results} == {"passed", "failed"}


def test_broken_configuration_reads_as_error_not_fail(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
) -> None:
    (pytester.path / "ca.pem").write_text("not a certificate\n")
    result = run_checks(f"""
        name: misconfigured
        http: [{{name: a, url: "{demo.https_url}/", ca_bundle: ca.pem}}]
    """)
    result.assert_outcomes(failed=1)
    summary = json.loads((pytester.path / "reports" / "summary.json").read_text())
    assert summary["checks"][0]["outcome"] == "error"
    assert f"ca_bundle {pytester.path / 'ca.pem'} is not a PEM CA file" in summary["checks"][0]["message"]


def test_invalid_profile_is_a_usage_error(run_checks: RunChecks) -> None:
    result = run_checks("""
        name: bad
        http: [{name: a, url: "http://127.0.0.1:1/", expect: {status: ok}}]
    """)
    assert result.ret == 4
    result.stderr.fnmatch_lines([
        "*opsgate profile error:*",
        "*profile.yaml: http?0?.expect.status: expected a status code, a list of codes or a class "
        "like '2xx', got 'ok'",
    ])
    assert "Traceback" not in result.stderr.str()


def test_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.smoke: post-deploy smoke gate*",
                                 "@pytest.mark.premaintenance:*", "@pytest.mark.intrusive:*"])


def test_xdist_gives_the_same_verdicts(run_checks: RunChecks, demo: DemoProcess,
                                       pytester: pytest.Pytester) -> None:
    result = run_checks(suite_profile(demo) + f"""
          - name: down
            url: {demo.http_url}/status/500
    """, "-n", "2")
    result.assert_outcomes(passed=4, failed=1)
    summary = json.loads((pytester.path / "reports" / "summary.json").read_text())
    assert summary["totals"]["pass"] == 4 and summary["totals"]["fail"] == 1


def test_bad_option_values_are_usage_errors(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(suite_profile(demo), "--opsgate-concurrency=0")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--opsgate-concurrency: expected a whole number of at least 1, got '0'"])


def test_summary_keeps_the_message_when_a_secret_was_masked(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ADMIN_API_KEY", SECRET)
    run_checks(f"""
        name: masked
        secrets: [ADMIN_API_KEY]
        http:
          - name: admin
            url: http://127.0.0.1:{free_port()}/health?key=${{ADMIN_API_KEY}}
            runbook: https://runbooks.example/admin
    """)
    summary = json.loads((pytester.path / "reports" / "summary.json").read_text())
    message = summary["checks"][0]["message"]
    assert "/health?key=***: connection refused by" in message, message


def test_retries_leave_a_trace_in_the_summary(run_checks: RunChecks, pytester: pytest.Pytester) -> None:
    port = free_port()
    run_checks(f"""
        name: retried
        defaults: {{retries: 1, timeout: 2s}}
        http: [{{name: down, url: "http://127.0.0.1:{port}/"}}]
    """)
    record = json.loads((pytester.path / "reports" / "summary.json").read_text())["checks"][0]
    assert record["outcome"] == "fail"
    # The earlier attempt is the trace; the last one is the failure itself.
    assert len(record["retried"]) == 1
    assert record["retried"][0].startswith(f"attempt 1: GET http://127.0.0.1:{port}/: connection refused")
    assert record["message"].startswith(f"GET http://127.0.0.1:{port}/: connection refused")


def test_collected_objects_go_back_to_the_gc_when_the_session_ends(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
) -> None:
    import gc

    # In-process, as a user's own pytester test would run opsgate: frozen objects must not
    # outlive the session. During the run they are frozen (the check run's speed depends on it).
    pytester.makepyfile(freeze_count=
        "import gc\n"
        "def pytest_runtest_teardown(item):\n"
        "    (item.config.rootpath / 'frozen.txt').write_text(str(gc.get_freeze_count()))\n")
    pytester.syspathinsert()
    profile = pytester.path / "profile.yaml"
    profile.write_text(f"name: gc\nhttp: [{{name: up, url: '{demo.http_url}/health'}}]\n")
    result = pytester.runpytest_inprocess(
        f"--profile={profile}", "-p", "no:cacheprovider", "-p", "freeze_count")
    result.assert_outcomes(passed=1)
    assert int((pytester.path / "frozen.txt").read_text()) > 1000
    assert gc.get_freeze_count() == 0


def test_a_finding_reads_as_its_message_without_traceback_noise(
    run_checks: RunChecks, pytester: pytest.Pytester,
) -> None:
    port = free_port()
    result = run_checks(f"""
        name: down
        http: [{{name: api, url: "http://127.0.0.1:{port}/health"}}]
        dns: [{{name: api, host: api.opsgate.test, nameservers: ["127.0.0.1:{port}"], timeout: 1s}}]
    """)
    result.assert_outcomes(failed=2)
    reports = pytester.path / "reports"
    junit = (reports / "junit.xml").read_text()
    traces = [json.loads(path.read_text()).get("statusDetails", {}).get("trace", "")
              for path in (reports / "allure-results").glob("*-result.json")]
    assert len(traces) == 2
    for text in [result.stdout.str(), junit, *traces]:
        assert not re.search(r"\.py:\d+|\^\^\^|in test_|observe\(\)|judge_", text), text
    result.stdout.fnmatch_lines([f"GET http://127.0.0.1:{port}/health: connection refused by*"])


def test_an_internal_error_keeps_its_traceback(pytester: pytest.Pytester) -> None:
    (pytester.path / "checks").mkdir()
    (pytester.path / "checks" / "test_buggy.py").write_text(
        "from opsgate.check import check\n\n"
        "@check('buggy', probe=lambda target, timeout: {})\n"
        "def test_buggy(target, observe, verdict):\n"
        "    observe()['missing']\n")
    (pytester.path / "production.yaml").write_text("name: p\ncustom: {buggy: [{name: one}]}\n")
    result = pytester.runpytest_subprocess("--profile=production.yaml", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["checks/test_buggy.py:5: in test_buggy", "*KeyError: 'missing'"])


def test_counts_show_only_the_checks_the_profile_uses(run_checks: RunChecks, demo: DemoProcess) -> None:
    result = run_checks(f"""
        name: counts
        http:
          - {{name: gate, url: "{demo.http_url}/health"}}
          - {{name: nightly, url: "{demo.http_url}/health", suites: [daily]}}
    """, "-m", "smoke")
    result.stdout.fnmatch_lines(["collected 2 items / 1 deselected / 1 selected"])
    result.assert_outcomes(passed=1, deselected=1)


def test_an_empty_suite_says_so(run_checks: RunChecks, pytester: pytest.Pytester) -> None:
    result = run_checks("""
        name: shop
        http: [{name: a, url: "http://127.0.0.1:1/"}]
    """, "-m", "weekly")
    assert result.ret == 5
    result.stdout.fnmatch_lines(["NOTE  profile shop has no checks in suite weekly"])
    summary_md = (pytester.path / "reports" / "summary.md").read_text()
    assert "> profile shop has no checks in suite weekly" in summary_md


def test_quarterly_and_the_profiles_own_suites_are_markers(
    run_checks: RunChecks, demo: DemoProcess,
) -> None:
    profile = f"""
        name: own-suites
        suites: {{release: checks before a release is tagged}}
        http:
          - {{name: drill, url: "{demo.http_url}/health", suites: [quarterly]}}
          - {{name: tagged, url: "{demo.http_url}/health", suites: [release]}}
    """
    markers = run_checks(profile, "--markers")
    markers.stdout.fnmatch_lines([
        "@pytest.mark.quarterly: quarterly tasks*",
        "@pytest.mark.release: checks before a release is tagged (profile own-suites)",
    ])
    result = run_checks(profile, "-m", "release", "-v")
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["*test_http?tagged? PASSED*"])
    assert run_checks(profile, "-m", "quarterly").parseoutcomes()["passed"] == 1


def test_only_selected_targets_need_their_variables(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPSGATE_TEST_STRIPE_SECRET", raising=False)
    profile = f"""
        name: gate
        http: [{{name: api, url: "{demo.http_url}/health"}}]
        webhooks:
          - {{name: stripe, url: "{demo.http_url}/webhooks/stripe", scheme: stripe,
             secret: "${{OPSGATE_TEST_STRIPE_SECRET}}"}}
    """
    smoke = run_checks(profile, "-m", "smoke")
    smoke.assert_outcomes(passed=1, deselected=1)
    note = ("webhooks[0] (stripe): environment variable OPSGATE_TEST_STRIPE_SECRET is not set: "
            "not needed, its checks are not selected")
    smoke.stdout.fnmatch_lines([f"NOTE  {note}"])
    assert f"> {note}" in (pytester.path / "reports" / "summary.md").read_text()
    weekly = run_checks(profile, "-m", "weekly", "--collect-only")
    assert weekly.ret == 4
    weekly.stderr.fnmatch_lines([
        "*profile.yaml: webhooks?0? (stripe): environment variable OPSGATE_TEST_STRIPE_SECRET is not "
        "set, and a selected check needs it (export it, or write ${NAME:-default})"])


def test_errors_name_targets_as_written_when_others_wait_for_variables(run_checks: RunChecks) -> None:
    result = run_checks("""
        name: p
        http:
          - {name: later, url: "${OPSGATE_TEST_UNSET_URL}"}
          - {name: wrong, url: "http://127.0.0.1:1/", expect: {status: ok}}
    """)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*profile.yaml: http?1?.expect.status: expected a status code*"])
