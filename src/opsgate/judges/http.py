"""Rules for an HTTP response: status, JSON subset and paths, body patterns, headers, time."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from opsgate.errors import ProtocolFailure
from opsgate.jsonpath import PathMissing, lookup
from opsgate.redact import clip
from opsgate.units import format_duration
from opsgate.verdict import Verdict, describe

if TYPE_CHECKING:
    from opsgate.probes.http import HttpResponse
    from opsgate.targets.http import Expect, HttpTarget, JsonCondition


def judge_response(target: HttpTarget, response: HttpResponse, verdict: Verdict) -> None:
    """Add a finding for every expectation of `target.expect` the response does not meet."""
    expect = target.expect
    verdict.evidence("response", response.evidence())
    accepted = expect.accepts_status(response.status)
    # The status is judged, not merely noted: a 503 must not read as level "ok" in the reports.
    verdict.note("status", response.status, str(response.status), level="ok" if accepted else "crit",
                 expected=str(expect.status))
    _judge_status(expect, response, verdict)
    verdict.measure("response time", response.elapsed, expect.response_time, fmt=format_duration,
                    advice="the service is slow; check its latency dashboard and recent deploys")
    if expect.json_subset is not None or expect.json_path:
        _judge_json(expect, response, verdict)
    _judge_body(expect, response, verdict)
    _judge_headers(expect, response, verdict)


def _judge_status(expect: Expect, response: HttpResponse, verdict: Verdict) -> None:
    if not expect.accepts_status(response.status):
        verdict.fail(
            f"status {response.status} {response.reason}, expected {expect.status}; "
            f"body starts {verdict.quote(response.text, 160)}"
        )


def _judge_json(expect: Expect, response: HttpResponse, verdict: Verdict) -> None:
    try:
        document = response.json()
    except ProtocolFailure as failure:
        verdict.fail(str(failure))
        return
    if expect.json_subset is not None:
        for problem in subset_mismatches(expect.json_subset, document):
            verdict.fail(f"JSON body: {problem}")
    for condition in expect.json_path:
        problem = condition_problem(condition, document)
        if problem:
            verdict.fail(f"JSON {condition.path}: {problem}")


def subset_mismatches(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where `actual` differs from `expected`, reading mappings as subsets (extra keys allowed)."""
    here = where or "the body"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"at {here}: expected an object, got {describe(actual)}"]
        problems = []
        for key, value in expected.items():
            path = f"{where}.{key}" if where else str(key)
            if key not in actual:
                problems.append(f"at {path}: missing (expected {describe(value)})")
            else:
                problems.extend(subset_mismatches(value, actual[key], path))
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"at {here}: expected {describe(expected)}, got {describe(actual)}"]
        return [p for i, (e, a) in enumerate(zip(expected, actual, strict=True))
                for p in subset_mismatches(e, a, f"{where}[{i}]")]
    if expected != actual or isinstance(expected, bool) != isinstance(actual, bool):
        return [f"at {here}: expected {describe(expected)}, got {describe(actual)}"]
    return []


def same_json(expected: Any, actual: Any) -> bool:
    """JSON equality: a boolean equals only a boolean (in Python `True == 1` and `False == 0`), at any
    depth; numbers compare by value (`1 == 1.0`), objects by keys and values, arrays in order."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, dict):
        return (isinstance(actual, dict) and expected.keys() == actual.keys()
                and all(same_json(value, actual[key]) for key, value in expected.items()))
    if isinstance(expected, list):
        return (isinstance(actual, list) and len(expected) == len(actual)
                and all(same_json(e, a) for e, a in zip(expected, actual, strict=True)))
    return bool(expected == actual)


def condition_problem(condition: JsonCondition, document: Any) -> str | None:
    """What is wrong with the value at the condition's path, or None when it holds."""
    try:
        value = lookup(document, condition.path)
    except PathMissing as missing:
        return str(missing) if condition.exists else None
    if not condition.exists:
        return f"should not exist, but is {describe(value)}"
    if "equals" in condition.model_fields_set and not same_json(condition.equals, value):
        return f"expected {describe(condition.equals)}, got {describe(value)}"
    if condition.one_of is not None and not any(same_json(item, value) for item in condition.one_of):
        return f"expected one of {describe(condition.one_of)}, got {describe(value)}"
    if condition.min is not None or condition.max is not None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return f"expected a number, got {describe(value)}"
        if math.isnan(value):
            return "is NaN, which no limit can judge: no data is never green"
        if condition.min is not None and value < condition.min:
            return f"{value} is below the minimum {condition.min}"
        if condition.max is not None and value > condition.max:
            return f"{value} is above the maximum {condition.max}"
    if condition.matches is not None and not re.search(condition.matches, str(value)):
        return f"{describe(value)} does not match /{condition.matches}/"
    return None


def _judge_body(expect: Expect, response: HttpResponse, verdict: Verdict) -> None:
    for pattern in expect.body_matches:
        if not re.search(pattern, response.text):
            verdict.fail(f"body does not match /{pattern}/; starts {verdict.quote(response.text, 120)}")
    for pattern in expect.body_forbids:
        found = re.search(pattern, response.text)
        if found:
            verdict.fail(f"body contains forbidden /{pattern}/: {clip(found.group(0), 80)!r}")


def _judge_headers(expect: Expect, response: HttpResponse, verdict: Verdict) -> None:
    for name, pattern in expect.headers.items():
        value = response.header(name)
        if value is None:
            verdict.fail(f"response header {name} is missing (expected /{pattern}/)")
        elif not re.search(pattern, value, re.IGNORECASE):
            verdict.fail(f"response header {name}: {value!r} does not match /{pattern}/")
    for name in expect.headers_absent:
        if response.header(name) is not None:
            verdict.fail(f"response header {name} should be absent, got {response.header(name)!r}")
