"""Verdicts: all findings in one failure, warn-only passes with a ThresholdWarning."""

from __future__ import annotations

import json

import pytest

from opsgate import ThresholdWarning
from opsgate.redact import Redactor
from opsgate.targets.http import HttpTarget
from opsgate.units import Threshold, format_duration
from opsgate.verdict import Verdict

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
