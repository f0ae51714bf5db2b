"""Verdicts: all findings in one failure, warn-only passes with a ThresholdWarning."""

from __future__ import annotations

import json
import warnings

import pytest

from opsgate import ThresholdWarning
from opsgate.redact import Redactor
from opsgate.targets.http import HttpTarget
from opsgate.units import Threshold, format_duration
from opsgate.verdict import Verdict, describe

TARGET = HttpTarget(name="api", url="http://127.0.0.1:1/", runbook="https://runbooks.example/api")


def test_crit_findings_fail_once_with_every_finding_and_the_runbook() -> None:
    verdict = Verdict(TARGET, check="http")
    verdict.measure("p95", 0.7, Threshold(warn=0.3, crit=0.5), fmt=format_duration,
                    advice="scale out")
    verdict.fail("status 503")
    verdict.warn("no includeSubDomains")
    with pytest.raises(AssertionError) as caught:
        verdict.conclude()
    assert str(caught.value) == (
        "http api: 2 problem(s):\n"
        "  - p95 is 700ms, above the limit 500ms (crit): scale out\n"
        "  - status 503\n"
        "  - (warn) no includeSubDomains\n"
        "Runbook: https://runbooks.example/api")


def test_warn_only_passes_with_a_warning() -> None:
    verdict = Verdict(TARGET, check="redis")
    assert verdict.measure("hit rate", 0.7, Threshold(warn=0.8, crit=0.4), floor=True) == "warn"
    with pytest.warns(ThresholdWarning, match=r"redis api: hit rate is 0.7, below the minimum 0.8"):
        verdict.conclude()


def test_strict_turns_warnings_into_failures() -> None:
    verdict = Verdict(TARGET, strict=True)
    verdict.warn("almost full")
    with pytest.raises(AssertionError, match="almost full"):
        verdict.conclude()


def test_published_summary_is_redacted() -> None:
    published: dict[str, str] = {}
    verdict = Verdict(TARGET, redactor=Redactor({"sekrit-1"}),
                      publish=lambda name, value: published.update({name: value}))
    verdict.note("user", "sekrit-1")
    verdict.measure("memory", 10, Threshold(crit=100))
    verdict.conclude()
    payload = json.loads(published["opsgate"])
    assert payload["level"] == "ok"
    assert payload["measurements"][0]["value"] == "***"
    assert payload["measurements"][1] == {"name": "memory", "value": 10, "display": "10",
                                          "warn": None, "crit": 100, "bound": "max", "level": "ok",
                                          "warn_display": None, "crit_display": "100"}


def test_failure_message_masks_secrets() -> None:
    verdict = Verdict(TARGET, redactor=Redactor({"sekrit-1"}))
    verdict.fail("header echoed sekrit-1")
    with pytest.raises(AssertionError, match=r"header echoed \*\*\*"):
        verdict.conclude()


def test_nan_fails_any_threshold_with_a_no_data_message() -> None:
    verdict = Verdict(TARGET, check="database")
    assert verdict.measure("query orders", float("nan"), Threshold(crit=10.0)) == "crit"
    assert verdict.measure("hit rate", float("nan"), Threshold(warn=0.8), floor=True) == "crit"
    with pytest.raises(AssertionError) as caught:
        verdict.conclude()
    assert "no data: query orders is NaN" in str(caught.value)
    assert "no data: hit rate is NaN" in str(caught.value) and "above the limit" not in str(caught.value)


def test_a_quoted_excerpt_is_redacted_before_it_is_cut() -> None:
    verdict = Verdict(TARGET, redactor=Redactor({"tok-ABCDEFGHIJKLMNOP"}))
    body = "x" * 150 + "tok-ABCDEFGHIJKLMNOP and more"  # the secret straddles character 160
    assert verdict.quote(body, 160) == repr("x" * 150 + "*** and mo")
    assert "tok-ABC" not in verdict.quote(body, 160)
def test_measurements_record_bounds_levels_and_displays() -> None:
    verdict = Verdict(TARGET)
    assert verdict.measure("free disk", 0.05, Threshold(warn=0.2, crit=0.1), floor=True) == "crit"
    assert verdict.measure("unbounded", 3.0, None) == "ok"
    verdict.note("role", "master")
    verdict.note("empty", None)
    verdict.note("count", 7)
    records = [(m.name, m.value, m.display, m.warn, m.crit, m.bound, m.level) for m in verdict.measurements]
    assert records == [
        ("free disk", 0.05, "0.05", 0.2, 0.1, "min", "crit"),
        ("unbounded", 3.0, "3", None, None, None, "ok"),
        ("role", "master", "master", None, None, None, "ok"),
        ("empty", None, "0", None, None, None, "ok"),
        ("count", 7, "7", None, None, None, "ok"),
    ]
    assert [f.message for f in verdict.findings] == ["free disk is 0.05, below the minimum 0.1 (crit)"]


def test_a_warn_finding_names_the_warn_limit_and_a_lone_crit_reads_plainly() -> None:
    verdict = Verdict(TARGET, check="latency")
    assert verdict.measure("p95", 0.4, Threshold(warn=0.3, crit=0.5), fmt=format_duration) == "warn"
    assert verdict.level == "warn"
    assert [f.message for f in verdict.findings] == ["p95 is 400ms, above the limit 300ms (warn)"]
    verdict.fail("status 503")
    assert verdict.level == "crit"
    assert verdict.failure_message() == (
        "latency api: 1 problem(s):\n  - status 503\n  - (warn) p95 is 400ms, above the limit 300ms (warn)\n"
        "Runbook: https://runbooks.example/api")
    lone = Verdict(HttpTarget(name="web", url="http://127.0.0.1:1/"))
    lone.fail("status 503")
    assert lone.failure_message() == "http web: status 503"


def test_a_clean_verdict_publishes_ok_and_warns_nothing() -> None:
    published: dict[str, str] = {}
    verdict = Verdict(TARGET, publish=lambda name, value: published.update({name: value}))
    assert not verdict.concluded
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        verdict.conclude()
    assert verdict.concluded and json.loads(published["opsgate"])["findings"] == []


def test_describe_cuts_long_values() -> None:
    assert describe("short") == "'short'"
    assert describe({"a": 1}) == '{"a": 1}'
    long = describe("x" * 200, limit=20)
    assert long == "'" + "x" * 16 + "..." and len(long) == 20
    assert describe("x" * 18, limit=20) == "'" + "x" * 18 + "'"
    assert describe("x" * 78) == "'" + "x" * 78 + "'"  # 80 characters: the default limit
    assert describe("x" * 79) == "'" + "x" * 76 + "..."


def test_a_zero_limit_is_named_as_zero() -> None:
    verdict = Verdict(TARGET)
    verdict.measure("5xx responses", 3, Threshold(crit=0))
    assert [f.message for f in verdict.findings] == ["5xx responses is 3, above the limit 0 (crit)"]


def test_threshold_warnings_point_at_the_check_that_concluded() -> None:
    verdict = Verdict(TARGET)
    verdict.warn("almost full")
    with pytest.warns(ThresholdWarning) as record:
        verdict.conclude()
    assert record[0].filename == __file__
