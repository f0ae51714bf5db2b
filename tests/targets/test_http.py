"""The `http:` target model: defaults, statuses accepted, bodies, headers holding secrets, policies."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from opsgate.redact import Redactor
from opsgate.targets.http import Expect, HttpTarget, SecurityHeadersPolicy, http_url


def http(**keys: Any) -> HttpTarget:
    return HttpTarget.model_validate({"name": "h", "url": "http://127.0.0.1:8080/health", **keys})


def test_defaults() -> None:
    target = http()
    assert (target.method, target.follow_redirects, target.max_redirects, target.max_body) == (
        "GET", True, 5, 1024 * 1024)
    assert (target.body, target.body_json, target.header_policy, target.secret_headers) == (
        None, None, None, frozenset())
    assert target.expect.status == "2xx" and target.host_key == "127.0.0.1:8080"


@pytest.mark.parametrize(("status", "accepted", "refused"), [
    (200, [200], [201, 199, 500]), ([200, 301], [200, 301], [302, 204]),
    ("3xx", [300, 301, 399], [200, 204, 404]),
])
def test_statuses_accepted(status: Any, accepted: list[int], refused: list[int]) -> None:
    expect = Expect(status=status)
    assert [expect.accepts_status(s) for s in accepted] == [True] * len(accepted)
    assert [expect.accepts_status(s) for s in refused] == [False] * len(refused)


def test_a_status_of_1000_or_more_is_not_mistaken() -> None:
    # A status read off the wire is a new int: beyond the cached small integers, not the same object.
    assert Expect(status=1000).accepts_status(int("1000")) is True
    assert Expect(status="5xx").accepts_status(503) is True


@pytest.mark.parametrize(("keys", "valid"), [
    ({"max_redirects": 0}, True), ({"max_redirects": 30}, True), ({"max_redirects": -1}, False),
    ({"max_redirects": 31}, False),
])
def test_redirect_range(keys: dict[str, int], valid: bool) -> None:
    if valid:
        assert http(**keys).max_redirects == next(iter(keys.values()))
    else:
        with pytest.raises(ValidationError, match="max_redirects"):
            http(**keys)


def test_one_body_at_most() -> None:
    with pytest.raises(ValidationError, match="give either 'body' or 'body_json', not both"):
        http(method="POST", body="x", body_json={"a": 1})
    assert http(method="POST", body="x").body == "x"
    assert http(method="POST", body_json={"a": 1}).body_json == {"a": 1}


def test_headers_whose_value_holds_a_secret_are_known() -> None:
    # The loader's redactor knows the profile's secrets; "!" sorts before its mask "***".
    headers = {"X-Api-Key": "s3cr3t-api-key", "X-Token": "!t0ken-value", "Accept": "text/html"}
    data = {"name": "h", "url": "http://127.0.0.1/", "headers": headers}
    redactor = Redactor({"s3cr3t-api-key", "!t0ken-value"})
    target = HttpTarget.model_validate(data, context={"redact": redactor.redact})
    assert target.secret_headers == frozenset({"x-api-key", "x-token"})
    assert HttpTarget.model_validate(data).secret_headers == frozenset()


def test_security_header_policy() -> None:
    assert http(security_headers="baseline").header_policy == SecurityHeadersPolicy()
    policy = http(security_headers={"forbid": ["Server"], "min_grade": "B"}).header_policy
    assert policy is not None
    assert (policy.forbid, policy.min_grade, policy.base) == (["Server"], "B", "baseline")
    assert (SecurityHeadersPolicy().hsts_min_age, SecurityHeadersPolicy().hsts_recommended_age) == (
        15552000, 31536000)


@pytest.mark.parametrize(("keys", "message"), [
    ({"expect": {"headers": {"Content-Type": "(json"}}}, "invalid regular expression '\\(json'"),
    ({"security_headers": {"require": {"X-Frame-Options": "(DENY"}}}, "invalid regular expression '\\(DENY'"),
    ({"security_headers": {"relax": ["no-such-rule"]}}, "no-such-rule"),
    ({"url": "http://[::1/"}, "expected an http:// or https:// URL, got an unparsable URL: Invalid IPv6 URL"),
])
def test_invalid_targets(keys: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        http(**keys)


def test_a_required_header_may_be_any_value() -> None:
    policy = SecurityHeadersPolicy(require={"X-Request-Id": None, "X-Frame-Options": "DENY"})
    assert policy.require == {"X-Request-Id": None, "X-Frame-Options": "DENY"}
    assert http_url("https://example.test/") == "https://example.test/"
