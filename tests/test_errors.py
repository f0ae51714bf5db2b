"""Outcome classes end to end: a finding about the target is FAILED, a bug inside opsgate is an
ERROR (BROKEN) that names opsgate, alike in the summary, junit and allure."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from opsgate.errors import ProbeFailure, ProbeTimeout, Unreachable, as_assertion
from tests.conftest import REPO, RunChecks, free_port

BUGGY_PROBE = '''
def probe(target, timeout):
    facts = {"role": "master"}
    assert facts["role"] == "replica", "an internal consistency check of the probe"

def keyerror(target, timeout):
    return {}["used_memory"]
'''
CHECKS = '''
from opsgate.check import check


@check("redis", probe="buggy_probe:probe")
def test_assert_in_probe(target, observe, verdict):
    observe()
    verdict.conclude()


@check("redis", probe="buggy_probe:keyerror")
def test_keyerror_in_probe(target, observe, verdict):
    observe()
    verdict.conclude()
'''


def test_probe_failure_is_no_assertion_until_reported() -> None:
    assert not issubclass(ProbeFailure, AssertionError)
    reported = as_assertion(Unreachable("redis x: connection refused"), "redis x: connection refused")
    assert isinstance(reported, AssertionError) and isinstance(reported, Unreachable)
    assert type(reported).__name__ == "Unreachable" and str(reported) == "redis x: connection refused"
    assert type(as_assertion(Unreachable("a"), "b")) is type(reported)
    assert not isinstance(as_assertion(ProbeTimeout("a"), "b"), Unreachable)


def test_a_bug_in_a_probe_is_an_error_naming_opsgate_and_a_dead_target_a_failure(
    run_checks: RunChecks, pytester: pytest.Pytester,
) -> None:
    (pytester.path / "buggy_probe.py").write_text(BUGGY_PROBE)
    result = run_checks(f"""
        name: outcomes
        redis: [{{name: down, url: "redis://127.0.0.1:{free_port()}/0"}}]
    """, str(REPO / "checks" / "test_redis.py"), str(_write_checks(pytester)))
    result.assert_outcomes(failed=3)
    reports = pytester.path / "reports"
    summary = {c["check"]: c for c in json.loads((reports / "summary.json").read_text())["checks"]}
    assert summary["redis"]["outcome"] == "fail"
    assert summary["redis"]["message"].startswith("redis 127.0.0.1:")
    for check, function, error in (("assert_in_probe", "probe", "AssertionError"),
                                   ("keyerror_in_probe", "keyerror", "KeyError")):
        assert summary[check]["outcome"] == "error"
        assert summary[check]["message"].startswith(
            f"opsgate internal error in probe buggy_probe:{function} at {pytester.path / 'buggy_probe.py'}:")
        assert f": {error}: " in summary[check]["message"]
        assert "This is a bug in opsgate, not a finding about redis down" in summary[check]["message"]
    junit = {case.get("name").split("[")[0]: {p.get("name"): p.get("value") for p in case.iter("property")}
             for case in ET.parse(reports / "junit.xml").getroot().iter("testcase")}
    assert {name: props["opsgate_outcome"] for name, props in junit.items()} == {
        "test_redis": "fail", "test_assert_in_probe": "error", "test_keyerror_in_probe": "error"}
    results = [json.loads(path.read_text()) for path in (reports / "allure-results").glob("*-result.json")]
    assert {r["name"].split("[")[0]: r["status"] for r in results} == {
        "test_redis": "failed", "test_assert_in_probe": "broken", "test_keyerror_in_probe": "broken"}
    result.stdout.fnmatch_lines(["redis 127.0.0.1:*: connection refused by *"])


def _write_checks(pytester: pytest.Pytester) -> object:
    path = pytester.path / "checks" / "test_buggy.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(CHECKS)
    return path
