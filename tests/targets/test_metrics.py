"""Metrics profile model: one source per target, selectors, quantities, and the example profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from opsgate.profile import load_profile
from opsgate.targets.metrics import MetricsTarget, parse_selector

REPO = Path(__file__).resolve().parents[2]


def make(**keys: object) -> MetricsTarget:
    return MetricsTarget.model_validate({"name": "m", **keys})


def test_selector_syntax() -> None:
    selector = parse_selector('http_requests_total{status=~"5..", path!="/health",job="api"}')
    assert selector.name == "http_requests_total"
    assert selector.matches("http_requests_total", {"status": "503", "path": "/x", "job": "api"})
    assert not selector.matches("http_requests_total", {"status": "200", "path": "/x", "job": "api"})
    assert not selector.matches("http_requests_total", {"status": "500", "path": "/health", "job": "api"})
    assert not selector.matches("http_requests_created", {"status": "500", "job": "api"})
    assert str(parse_selector("up")) == "up"


@pytest.mark.parametrize("text", ["5xx", 'a{b=c}', 'a{b=~"("}', 'a{b="c"'])
def test_bad_selectors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_selector(text)


@pytest.mark.parametrize(("keys", "message"), [
    ({"max": 1}, "exactly one source"),
    ({"url": "http://x/", "json_path": "a", "select": "b", "max": 1}, "got json_path, select"),
    ({"prometheus": "http://p/", "max": 1}, "needs a PromQL 'query'"),
    ({"url": "http://x/", "json_path": "a"}, "needs 'min', 'max' or both"),
    ({"json_path": "a", "max": 1}, "'json_path' needs 'url'"),
    ({"url": "http://x/", "json_path": "a", "divide_by": "b", "max": 1}, "'divide_by' applies to"),
    ({"url": "http://x/", "json_path": "a", "query": "up", "max": 1}, "'query' needs 'prometheus"),
])
def test_invalid_targets(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make(**keys)


def test_thresholds_take_numbers_and_percentages() -> None:
    target = make(url="http://x/", select="a", max={"warn": 0.3, "crit": "80%"}, min=2)
    assert (target.max.warn, target.max.crit, target.min.crit) == (0.3, 0.8, 2)
    assert target.source == "exposition" and target.host_key == "x:80"


@pytest.mark.parametrize(("unit", "limit", "value"), [
    ("ms", "2s", 2000.0), ("ms", "250ms", 250.0), ("ms", 1500, 1500.0),
    ("seconds", "300ms", 0.3), ("seconds", "2m", 120.0), ("seconds", 2, 2.0),
    ("bytes", "1KiB", 1024.0), ("bytes", "2MB", 2e6),
])
def test_durations_and_sizes_convert_into_the_unit(unit: str, limit: object, value: float) -> None:
    target = make(url="http://x/", json_path="a", max={"warn": limit, "crit": limit}, unit=unit)
    assert (target.max.warn, target.max.crit) == (value, value)
    assert make(url="http://x/", json_path="a", min=limit, unit=unit).min.crit == value


@pytest.mark.parametrize(("unit", "limit", "message"), [
    ("number", "2s", "max\n.*a duration needs unit: seconds or ms, got '2s' with unit: number"),
    ("ratio", "300ms", "max\n.*a duration needs unit: seconds or ms"),
    ("bytes", "2s", "max\n.*a duration needs unit: seconds or ms"),
    ("ms", "500MB", "max\n.*a size needs unit: bytes, got '500MB' with unit: ms"),
    ("seconds", "1KiB", "max\n.*a size needs unit: bytes"),
    ("number", "1KiB", "max\n.*a size needs unit: bytes"),
])
def test_a_duration_or_size_in_another_unit_is_a_profile_error(unit: str, limit: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make(url="http://x/", json_path="a", max={"warn": limit}, unit=unit)


def test_a_bad_unit_is_reported_alone() -> None:
    with pytest.raises(ValidationError, match="1 validation error") as raised:
        make(url="http://x/", json_path="a", max="2s", unit="minutes")
    assert raised.value.errors()[0]["loc"] == ("unit",)


def test_example_prometheus_profile_loads() -> None:
    profile, _ = load_profile(REPO / "profiles/examples/prometheus.yaml", {})
    by_name = {t.name: t for t in profile.metrics}
    assert by_name["error-rate"].source == "prometheus"
    assert "histogram_quantile(0.95" in (by_name["api-p95"].query or "")
    assert by_name["api-p95"].max.crit == 0.5
    assert by_name["targets-up"].effective_suites == ("smoke",)


def test_percent_unit_reads_limits_in_percent_and_ratio_limits_stay_in_range() -> None:
    target = make(url="http://127.0.0.1:1/m", json_path="cache.hit", unit="percent",
                  min={"warn": "60%", "crit": 40})
    assert (target.min.warn, target.min.crit) == (60.0, 40.0)
    assert make(url="http://127.0.0.1:1/m", json_path="a", unit="ratio", max="40%").max.crit == 0.4
    for unit, limit in (("ratio", 40), ("percent", 150), ("ratio", -0.1)):
        with pytest.raises(ValidationError, match=f"outside .*the range of unit: {unit}"):
            make(url="http://127.0.0.1:1/m", json_path="a", unit=unit, max=limit)


def test_min_is_a_floor_and_max_a_ceiling() -> None:
    with pytest.raises(ValidationError, match="inverted for a floor"):
        make(url="http://127.0.0.1:1/m", json_path="a", min={"warn": 1, "crit": 5})
    with pytest.raises(ValidationError, match="inverted for a ceiling"):
        make(url="http://127.0.0.1:1/m", json_path="a", max={"warn": 5, "crit": 1})


@pytest.mark.parametrize(("selector", "labels", "matches"), [
    ('up{job="api"}', {"job": "api"}, True), ('up{job="api"}', {"job": "web"}, False),
    ('up{job!="api"}', {"job": "web"}, True), ('up{job!="api"}', {"job": "api"}, False),
    ('up{code=~"5.."}', {"code": "503"}, True), ('up{code=~"5.."}', {"code": "5030"}, False),
    ('up{code!~"5.."}', {"code": "200"}, True), ('up{code!~"5.."}', {"code": "500"}, False),
    ('up{job=""}', {}, True),  # a missing label reads as empty, as in PromQL
    ('up{job="web"}', {"job": "api"}, False), ('up{job!="web"}', {"job": "api"}, True),
    ('up{job="a.i"}', {"job": "api"}, False), ('up{job!="a.i"}', {"job": "api"}, True),  # not regexes
    ("up{}", {"job": "api"}, True), ("up", {}, True),
])
def test_label_matchers(selector: str, labels: dict[str, str], matches: bool) -> None:
    assert parse_selector(selector).matches("up", labels) is matches
    assert parse_selector(selector).matches("down", labels) is False
    assert parse_selector(selector).matches("upx", labels) is False


@pytest.mark.parametrize(("unit", "limit", "hint"), [
    ("ratio", 40, " (write 40% or 0.4, or set 'unit: percent' for a 0-100 value)"), ("percent", 150, "")])
def test_a_limit_outside_its_unit_says_the_range(unit: str, limit: float, hint: str) -> None:
    with pytest.raises(ValidationError) as raised:
        make(url="http://127.0.0.1:1/m", json_path="a", unit=unit, max=limit)
    high = "1" if unit == "ratio" else "100"
    said = f"{limit!r} is outside 0..{high}, the range of unit: {unit}{hint} [type=value_error"
    assert said in str(raised.value)


def test_the_ends_of_a_range_and_numbers_without_one() -> None:
    assert make(url="http://127.0.0.1:1/m", json_path="a", unit="percent", max=100).max.crit == 100
    assert make(url="http://127.0.0.1:1/m", json_path="a", unit="percent", min=0).min.crit == 0
    for limit in (-0.5, 100.5):
        with pytest.raises(ValidationError, match="the range of unit: percent"):
            make(url="http://127.0.0.1:1/m", json_path="a", unit="percent", min=limit)
    assert make(url="http://127.0.0.1:1/m", json_path="a", unit="ratio", max=1).max.crit == 1
    assert make(url="http://127.0.0.1:1/m", json_path="a", min=None, max=1).min is None
    assert make(url="http://127.0.0.1:1/m", json_path="a", unit="ratio", min=0).min.crit == 0
    assert make(url="http://127.0.0.1:1/m", json_path="a", min=-5).min.crit == -5


@pytest.mark.parametrize(("keys", "described"), [
    ({"prometheus": "http://127.0.0.1:9090", "query": "sum(up)"}, "query sum(up)"),
    ({"url": "http://127.0.0.1:1/m", "json_path": "cache.hit"}, "cache.hit"),
    ({"url": "http://127.0.0.1:1/m", "select": 'errors_total{code="500"}'}, 'errors_total{code="500"}'),
    ({"url": "http://127.0.0.1:1/m", "select": "errors_total", "divide_by": "requests_total"},
     "errors_total / requests_total"),
    ({"url": "http://127.0.0.1:1/m", "json_path": "a", "what": "cache hit rate"}, "cache hit rate"),
])
def test_how_the_value_is_named(keys: dict[str, str], described: str) -> None:
    assert make(max=1, **keys).description_of_value == described


def test_what_is_at_most_200_characters() -> None:
    assert make(url="http://127.0.0.1:1/m", json_path="a", max=1, what="w" * 200).what == "w" * 200
    with pytest.raises(ValidationError, match="at most 200 characters"):
        make(url="http://127.0.0.1:1/m", json_path="a", max=1, what="w" * 201)


def test_a_prometheus_query_takes_no_url() -> None:
    with pytest.raises(ValidationError, match="'url' and 'divide_by' do not apply to a Prometheus query"):
        make(prometheus="http://127.0.0.1:9090", query="up", url="http://127.0.0.1:1/m", max=1)


@pytest.mark.parametrize(("keys", "message"), [
    ({"prometheus": "ftp://127.0.0.1:9090", "query": "up"}, "expected an http:// or https:// URL"),
    ({"url": "ftp://127.0.0.1/m", "json_path": "a"}, "expected an http:// or https:// URL"),
    ({"url": "http://127.0.0.1/m", "json_path": "a["}, "cannot read JSON path 'a\\[' at position 1"),
])
def test_urls_and_json_paths_are_checked(keys: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make(max=1, **keys)
