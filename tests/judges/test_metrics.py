"""Metric value rules on given answers: no data and NaN fail, impossible values, limits per series."""

from __future__ import annotations

from typing import Any

import pytest

from opsgate.judges.metrics import FORMATS, judge_metrics
from opsgate.probes.metrics import MetricValues, Series
from opsgate.targets.metrics import MetricsTarget
from opsgate.verdict import Verdict

PROMETHEUS = "http://127.0.0.1:9090"
ERRORS = "rate(http_errors_total[5m])"


def judged(series: tuple[Series, ...], **fields: Any) -> tuple[list[str], dict[str, str]]:
    """The findings (`level: message`) and the noted values of one Prometheus answer."""
    target = MetricsTarget.model_validate({"name": "m", "prometheus": PROMETHEUS, "query": ERRORS, **fields})
    return judged_facts(target, MetricValues("prometheus", PROMETHEUS, series))


def judged_facts(target: MetricsTarget, facts: MetricValues) -> tuple[list[str], dict[str, str]]:
    verdict = Verdict(target=target)
    judge_metrics(target, facts, verdict)
    return ([f"{f.level}: {f.message}" for f in verdict.findings],
            {m.name: m.display for m in verdict.measurements})


@pytest.mark.parametrize(("unit", "shown"), [
    ("number", "1234"), ("ratio", "0.0125 (1.25%)"), ("percent", "12.5%"), ("seconds", "20.6m"),
    ("ms", "12.5ms"), ("bytes", "1.206KiB"),
])
def test_each_unit_shows_its_value_in_that_unit(unit: str, shown: str) -> None:
    value = {"ratio": 0.0125, "percent": 12.5, "ms": 12.5}.get(unit, 1234.5)
    assert FORMATS[unit](value) == shown


def test_a_value_within_its_limits_is_noted() -> None:
    findings, noted = judged((Series(0.004),), unit="ratio", max="1%")
    assert findings == []
    assert noted == {"series": "1", f"query {ERRORS}": "0.004 (0.4%)"}


def test_several_series_each_judged_and_named_by_labels() -> None:
    findings, noted = judged((Series(0.02, (("status", "500"),)), Series(0.001, (("status", "503"),))),
                             unit="ratio", max="1%")
    assert findings == [
        f'crit: query {ERRORS}{{status="500"}} is 0.02 (2%), above the limit 0.01 (1%) (crit): check the '
        'service\'s dashboard for this metric (series {status="500"}, 1 of 2)']
    assert noted["series"] == "2" and noted[f'query {ERRORS}{{status="503"}}'] == "0.001 (0.1%)"


def test_one_labelled_series_is_not_counted_and_a_runbook_is_pointed_to() -> None:
    findings, _ = judged((Series(3.0, (("job", "api"),)),), max=1, runbook="https://wiki/errors")
    assert findings == [f'crit: query {ERRORS}{{job="api"}} is 3, above the limit 1 (crit): see the runbook']


def test_min_and_max_both_judged() -> None:
    findings, _ = judged((Series(0.5),), unit="ratio", min="90%", max="99%", what="hit rate")
    assert findings == ["crit: hit rate is 0.5 (50%), below the minimum 0.9 (90%) (crit): check the "
                        "service's dashboard for this metric"]
    findings, _ = judged((Series(0.995),), unit="ratio", min="90%", max="99%", what="hit rate")
    assert findings == ["crit: hit rate is 0.995 (99.5%), above the limit 0.99 (99%) (crit): check the "
                        "service's dashboard for this metric"]


@pytest.mark.parametrize(("facts", "why"), [
    (MetricValues("prometheus", PROMETHEUS, no_data="the query returned an empty vector"),
     "the query returned an empty vector"),
    (MetricValues("prometheus", PROMETHEUS), "no series"),
])
def test_no_data_is_never_green(facts: MetricValues, why: str) -> None:
    target = MetricsTarget(name="m", prometheus=PROMETHEUS, query=ERRORS, max=1)
    findings, noted = judged_facts(target, facts)
    assert findings == [
        f"crit: no data for query {ERRORS} from Prometheus at {PROMETHEUS}: {why}; a missing metric is never "
        "green: check the name/labels/path and that the service exports it (and, for Prometheus, that its "
        "scrape target is up)"]
    assert "series" not in noted


def test_nan_is_no_data() -> None:
    findings, _ = judged((Series(float("nan")),), max=1)
    assert findings == [f"crit: no data: query {ERRORS} is NaN (e.g. 0/0: no traffic in the window, or a "
                        "division by an absent series); a NaN is never green"]


@pytest.mark.parametrize(("unit", "value", "problem"), [
    ("ratio", 5.0, "is 5, outside 0..1, so it is not a ratio: the field may be a percentage; set "
                   "'unit: percent' (and limits in percent) if it is"),
    ("ratio", -0.1, "is -0.1, outside 0..1, so it is not a ratio"),
    ("percent", 120.0, "is 120, outside 0..100, so it is not a percentage: check the field, or set "
                       "'unit: ratio' or 'number'"),
])
def test_a_value_its_unit_cannot_take_fails(unit: str, value: float, problem: str) -> None:
    findings, _ = judged((Series(value),), unit=unit, min="40%")
    assert len(findings) == 1 and findings[0].startswith(f"crit: query {ERRORS} {problem}")


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_the_ends_of_a_ratio_are_possible(value: float) -> None:
    findings, noted = judged((Series(value),), unit="ratio", min="0%", max="100%")
    assert findings == [] and noted[f"query {ERRORS}"] == f"{value:g} ({value:.0%})"


def test_any_number_is_possible_without_a_range() -> None:
    findings, _ = judged((Series(-5e9),), min=-1e10)
    assert findings == []


def test_a_partial_answer_warns_and_is_still_judged() -> None:
    target = MetricsTarget(name="m", prometheus=PROMETHEUS, query=ERRORS, max=1)
    facts = MetricValues("prometheus", PROMETHEUS, (Series(2.0),),
                         warnings=("remote_read: connection refused",))
    findings, _ = judged_facts(target, facts)
    assert findings == [
        f"warn: Prometheus at {PROMETHEUS} warned that its answer may be partial: remote_read: connection "
        "refused; check its remote storage / federation targets, and judge the value with care",
        f"crit: query {ERRORS} is 2, above the limit 1 (crit): check the service's dashboard for this metric"]


@pytest.mark.parametrize(("fields", "named"), [
    ({"json_path": "$.queue.depth"}, "JSON metrics"), ({"select": "queue_depth"}, "metrics exposition")])
def test_an_endpoint_is_named_by_its_kind(fields: dict[str, str], named: str) -> None:
    target = MetricsTarget.model_validate({"name": "m", "url": "http://127.0.0.1:8080/metrics", "max": 1,
                                           **fields})
    findings, _ = judged_facts(target, MetricValues(target.source, target.endpoint))
    assert findings[0].startswith(f"crit: no data for {target.description_of_value} from {named} at "
                                  "http://127.0.0.1:8080/metrics: no series;")
