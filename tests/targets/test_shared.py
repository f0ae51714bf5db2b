"""What the target models share: host:port of a URL, URL and regular-expression validation."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from opsgate.targets._urls import checked_url, endpoint
from opsgate.targets._validate import exactly_one
from opsgate.targets.database import DatabaseTarget
from opsgate.targets.dns import DnsTarget
from opsgate.targets.http import HttpTarget
from opsgate.targets.latency import LatencyTarget
from opsgate.targets.metrics import MetricsTarget
from opsgate.targets.queue import QueueTarget
from opsgate.targets.redis import RedisTarget
from opsgate.targets.webhook import WebhookTarget


@pytest.mark.parametrize(("url", "expected"), [
    ("http://a.example/x", "a.example:80"), ("https://a.example/x", "a.example:443"),
    ("https://a.example:8443/", "a.example:8443"), ("redis://r:6380/0", "r:6380"),
    ("redis://r/0", "r:6379"), ("rediss://r/0", "r:6379"), ("amqp://u:p@mq/", "mq:5672"),
    ("amqps://mq/", "mq:5671"),
    ("postgresql://db/app", "db:5432"), ("postgres://db/app", "db:5432"),
    ("mysql://db/app", "db:3306"), ("mariadb://db/app", "db:3306"),
])
def test_endpoint_fills_in_the_schemes_port(url: str, expected: str) -> None:
    assert endpoint(url) == expected
    assert endpoint("http://a.example/", 8080) == "a.example:8080"


@pytest.mark.parametrize(("model", "keys", "host_key"), [
    (HttpTarget, {"url": "https://api.example/health"}, "api.example:443"),
    (WebhookTarget, {"url": "http://hooks.example/", "scheme": "github", "secret": "s"}, "hooks.example:80"),
    (LatencyTarget, {"url": "https://api.example:8443/", "p50": "1s"}, "api.example:8443"),
    (MetricsTarget, {"prometheus": "https://prom.example/", "query": "up", "max": 1}, "prom.example:443"),
    (QueueTarget, {"broker": "amqps://mq.example/"}, "mq.example:5671"),
    (DatabaseTarget, {"url": "mariadb://db.example/app"}, "db.example:3306"),
    (RedisTarget, {"url": "redis://cache.example/0"}, "cache.example:6379"),
])
def test_every_url_kind_keys_its_host_alike(model: Any, keys: dict[str, Any], host_key: str) -> None:
    assert model.model_validate({"name": "t", **keys}).host_key == host_key


@pytest.mark.parametrize("url", ["ftp://hooks.example/", "hooks.example/in", "http:///in"])
def test_webhook_urls_are_http_urls(url: str) -> None:
    with pytest.raises(ValidationError, match="expected an http:// or https:// URL with a host"):
        WebhookTarget(name="w", url=url, scheme="github", secret="s")


@pytest.mark.parametrize(("model", "keys"), [
    (HttpTarget, {"url": "http://a/", "expect": {"body_matches": ["(unclosed"]}}),
    (HttpTarget, {"url": "http://a/", "expect": {"json_path": [{"path": "a", "matches": "(unclosed"}]}}),
    (DnsTarget, {"host": "a.example", "expect": {"matches": "(unclosed"}}),
    (MetricsTarget, {"url": "http://a/", "select": 'up{job=~"(unclosed"}', "max": 1}),
])
def test_invalid_regexes_read_alike_in_every_kind(model: Any, keys: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match=r"invalid regular expression '\(unclosed': missing \)"
                                              r"|invalid regular expression '\(unclosed' in 'up"):
        model.model_validate({"name": "t", **keys})


@pytest.mark.parametrize(("url", "problem"), [
    ("ftp://s3.example/", "expected a S3 endpoint URL starting with http:// or https://, got scheme 'ftp'"),
    ("s3.example/b", "expected a S3 endpoint URL starting with http:// or https://, got scheme '(none)'"),
    ("http:///bucket", "expected a S3 endpoint URL with a host, e.g. http://127.0.0.1/"),
    ("http://[::1/", "expected a S3 endpoint URL, got an unparsable URL: Invalid IPv6 URL"),
    ("http://s3.example:0/", "the URL's port must be 1-65535, got '0'"),
    ("http://:0/", "the URL's port must be 1-65535, got '0'"),
    ("http://s3.example:99999/", "the URL's port must be 1-65535, got '99999'"),
    ("http://s3.example:x/", "the URL's port must be 1-65535, got 'x'"),
])
def test_checked_url_says_what_is_wrong(url: str, problem: str) -> None:
    with pytest.raises(ValueError) as raised:
        checked_url(url, ("http", "https"), "S3 endpoint")
    assert str(raised.value) == problem


@pytest.mark.parametrize(("given", "problem"), [
    ({}, "give exactly one source: 'file', 'journald' or 'command'"),
    ({"file": "/var/log/app.log", "command": "journalctl"},
     "give exactly one source: 'file', 'journald' or 'command' (got file, command)"),
])
def test_exactly_one_source(given: dict[str, str], problem: str) -> None:
    model = SimpleNamespace(**{"file": None, "journald": None, "command": None, **given})
    with pytest.raises(ValueError) as raised:
        exactly_one(model, ("file", "journald", "command"), "'file', 'journald' or 'command'")
    assert str(raised.value) == problem
    one = SimpleNamespace(file=None, journald="app.service", command=None)
    exactly_one(one, ("file", "journald", "command"), "'file', 'journald' or 'command'")  # no error


def test_a_target_is_frozen_once_validated() -> None:
    target = DnsTarget(name="d", host="a.example")
    with pytest.raises(ValidationError, match="frozen"):
        target.host = "b.example"  # type: ignore[misc]


@pytest.mark.parametrize(("retries", "valid"), [(-1, False), (0, True), (10, True), (11, False)])
def test_retries_range_from_0_to_10(retries: int, valid: bool) -> None:
    if valid:
        assert DnsTarget(name="d", host="a.example", retries=retries).retries == retries
    else:
        with pytest.raises(ValidationError, match="retries"):
            DnsTarget(name="d", host="a.example", retries=retries)


def test_a_check_without_load_is_not_intrusive_and_keys_its_host_by_kind_and_name() -> None:
    from opsgate.targets.custom import CustomTarget

    target = CustomTarget(name="orders")
    assert target.intrusive is False and DnsTarget(name="d", host="a.example").intrusive is False
    assert target.host_key == "custom:orders"
