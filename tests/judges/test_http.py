"""HTTP rules on responses built in memory: status, JSON subset and paths, body, headers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from opsgate.judges.http import condition_problem, judge_response, subset_mismatches
from opsgate.probes.http import HttpResponse
from opsgate.targets.http import HttpTarget, JsonCondition
from opsgate.verdict import Verdict


def response(status: int = 200, body: Any = None, headers: list[tuple[str, str]] | None = None,
             elapsed: float = 0.05) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(method="GET", url="http://h/health", final_url="http://h/health",
                        status=status, reason="OK" if status == 200 else "Service Unavailable",
                        http_version="HTTP/1.1", headers=headers or [], body=raw, truncated=False,
                        elapsed=elapsed)


def findings(expect: dict[str, Any], observed: HttpResponse) -> list[str]:
    target = HttpTarget.model_validate({"name": "t", "url": "http://h/health", "expect": expect})
    verdict = Verdict(target)
    judge_response(target, observed, verdict)
    return [f"{f.level}: {f.message}" for f in verdict.findings]


def test_a_healthy_answer_has_no_findings() -> None:
    assert findings({"status": 200, "json": {"status": "ok", "redis": True}},
                    response(body={"status": "ok", "redis": True, "version": "1.2"})) == []


def test_redis_down_and_503_are_both_reported() -> None:
    assert findings({"status": 200, "json": {"status": "ok", "redis": True}},
                    response(503, {"status": "ok", "redis": False})) == [
        "crit: status 503 Service Unavailable, expected 200; "
        "body starts '{\"status\": \"ok\", \"redis\": false}'",
        "crit: JSON body: at redis: expected true, got false",
    ]


def test_status_classes_and_lists() -> None:
    assert findings({"status": "2xx"}, response(204, {})) == []
    assert findings({"status": [200, 301]}, response(301, {})) == []
    assert findings({"status": "2xx"}, response(500, {}))[0].startswith("crit: status 500")


def test_truthy_values_do_not_pass_for_booleans() -> None:
    assert subset_mismatches({"redis": True}, {"redis": 1}) == ["at redis: expected true, got 1"]
    assert subset_mismatches([1, 2], [1]) == ["at the body: expected [1, 2], got [1]"]


@pytest.mark.parametrize(("condition", "problem"), [
    ({"path": "cache.hit_rate", "min": 0.8}, "0.31 is below the minimum 0.8"),
    ({"path": "cache.hit_rate", "max": 0.2}, "0.31 is above the maximum 0.2"),
    ({"path": "status", "in": ["ok", "degraded"]}, None),
    ({"path": "status", "equals": "ok"}, None),
    ({"path": "status", "matches": "^o"}, None),
    ({"path": "status", "matches": "^x"}, "'ok' does not match /^x/"),
    ({"path": "debug", "exists": False}, None),
    ({"path": "cache.size"}, "cache.size does not exist (cache is a dict)"),
    ({"path": "status", "min": 1}, "expected a number, got 'ok'"),
])
def test_json_path_conditions(condition: dict[str, Any], problem: str | None) -> None:
    document = {"status": "ok", "cache": {"hit_rate": 0.31}}
    assert condition_problem(JsonCondition.model_validate(condition), document) == problem


@pytest.mark.parametrize(("condition", "problem"), [
    ({"path": "up", "equals": True}, "expected true, got false"),
    ({"path": "up", "equals": False}, None),
    ({"path": "zero", "equals": False}, "expected false, got 0"),
    ({"path": "zero", "equals": 0}, None),
    ({"path": "flag", "equals": 1}, "expected 1, got true"),
    ({"path": "flag", "equals": True}, None),
    ({"path": "one", "equals": True}, "expected true, got 1"),
    ({"path": "one", "equals": 1.0}, None),
    ({"path": "one", "in": [True, "yes"]}, 'expected one of [true, "yes"], got 1'),
    ({"path": "flag", "in": [1, 2]}, "expected one of [1, 2], got true"),
    ({"path": "flag", "in": [True]}, None),
    ({"path": "nested", "equals": {"ok": True, "n": [1]}},
     'expected {"ok": true, "n": [1]}, got {"ok": 1, "n": [true]}'),
    ({"path": "nested", "equals": {"ok": 1, "n": [True]}}, None),
])
def test_equals_and_in_never_take_a_number_for_a_boolean(
    condition: dict[str, Any], problem: str | None,
) -> None:
    document = {"up": False, "zero": 0, "flag": True, "one": 1, "nested": {"ok": 1, "n": [True]}}
    assert condition_problem(JsonCondition.model_validate(condition), document) == problem


def test_body_patterns_headers_and_time() -> None:
    observed = response(body=b"<h1>Traceback</h1>", headers=[("X-Powered-By", "PHP/8"),
                                                              ("Content-Type", "text/html")],
                        elapsed=2.5)
    assert findings({"body_matches": ["Welcome"], "body_forbids": ["Traceback"],
                     "headers": {"Content-Type": "json", "Cache-Control": "no-store"},
                     "headers_absent": ["X-Powered-By"],
                     "response_time": {"warn": "500ms", "crit": "2s"}}, observed) == [
        "crit: response time is 2.5s, above the limit 2s (crit): the service is slow; "
        "check its latency dashboard and recent deploys",
        "crit: body does not match /Welcome/; starts '<h1>Traceback</h1>'",
        "crit: body contains forbidden /Traceback/: 'Traceback'",
        "crit: response header Content-Type: 'text/html' does not match /json/",
        "crit: response header Cache-Control is missing (expected /no-store/)",
        "crit: response header X-Powered-By should be absent, got 'PHP/8'",
    ]


def test_invalid_json_is_one_finding() -> None:
    assert findings({"json": {"status": "ok"}}, response(body=b"<html>")) == [
        "crit: GET http://h/health: expected a JSON body, got no content type: Expecting value: "
        "line 1 column 1 (char 0); "
        "body starts '<html>'"]


def test_the_status_is_noted_with_its_level_and_what_was_expected() -> None:
    target = HttpTarget.model_validate({"name": "t", "url": "http://h/health", "expect": {"status": "2xx"}})
    for status, level in ((204, "ok"), (503, "crit")):
        verdict = Verdict(target)
        judge_response(target, response(status, {}), verdict)
        [noted] = [m for m in verdict.measurements if m.name == "status"]
        assert (noted.display, noted.level, noted.crit_display) == (str(status), level, "2xx")


def test_quoted_bodies_are_cut_to_their_length() -> None:
    body = b"x" * 200
    assert findings({"status": 200, "body_matches": ["Welcome"], "body_forbids": ["x+"]},
                    response(503, body)) == [
        "crit: status 503 Service Unavailable, expected 200; body starts '" + "x" * 160 + "'",
        "crit: body does not match /Welcome/; starts '" + "x" * 120 + "'",
        "crit: body contains forbidden /x+/: '" + "x" * 80 + "\u2026'",
    ]


def test_every_json_path_condition_is_judged() -> None:
    assert findings({"json_path": [{"path": "status", "equals": "ok"}, {"path": "db", "equals": "up"},
                                   {"path": "queue", "max": 10}]},
                    response(body={"status": "ok", "db": "down", "queue": 12})) == [
        "crit: JSON db: expected 'up', got 'down'", "crit: JSON queue: 12 is above the maximum 10.0"]


@pytest.mark.parametrize(("expected", "actual", "problems"), [
    ([1, 2], [1, 2], []),
    ([1], [1, 2], ["at the body: expected [1], got [1, 2]"]),
    (list(range(300)), list(range(300)), []),  # lengths beyond Python's cached small integers
    ({"n": 1}, {"n": 2}, ["at n: expected 1, got 2"]),
    ({"n": 2}, {"n": 1}, ["at n: expected 2, got 1"]),
    ({"n": 1}, {"n": True}, ["at n: expected 1, got true"]),
    ({"n": True}, {"n": 1}, ["at n: expected true, got 1"]),
    ({"a": [{"b": False}]}, {"a": [{"b": True, "c": 1}]}, ["at a[0].b: expected false, got true"]),
])
def test_subset_mismatches(expected: Any, actual: Any, problems: list[str]) -> None:
    assert subset_mismatches(expected, actual) == problems


@pytest.mark.parametrize(("condition", "problem"), [
    ({"path": "flag", "equals": False}, "expected false, got true"),
    ({"path": "nested", "equals": {"ok": 1}}, 'expected {"ok": 1}, got {"ok": 1, "n": [true]}'),
    ({"path": "nested", "equals": {"ok": 1, "n": [True], "x": 2}},
     'expected {"ok": 1, "n": [true], "x": 2}, got {"ok": 1, "n": [true]}'),
    ({"path": "list", "equals": [1]}, "expected [1], got [1, 2]"),
    ({"path": "list", "equals": [1, 2, 3]}, "expected [1, 2, 3], got [1, 2]"),
    ({"path": "word", "equals": ["o", "k"]}, "expected [\"o\", \"k\"], got 'ok'"),
    ({"path": "long", "equals": list(range(300))}, None),
])
def test_equals_compares_objects_and_arrays_whole(condition: dict[str, Any], problem: str | None) -> None:
    document = {"flag": True, "nested": {"ok": 1, "n": [True]}, "list": [1, 2], "word": "ok",
                "long": list(range(300))}
    assert condition_problem(JsonCondition.model_validate(condition), document) == problem


@pytest.mark.parametrize("condition", [
    {"path": "rate", "min": 0.31}, {"path": "rate", "max": 0.31}, {"path": "rate", "min": 0.1},
    {"path": "rate", "max": 0.5}, {"path": "rate", "min": 0.31, "max": 0.31}])
def test_min_and_max_are_inclusive(condition: dict[str, Any]) -> None:
    assert condition_problem(JsonCondition.model_validate(condition), {"rate": 0.31}) is None
