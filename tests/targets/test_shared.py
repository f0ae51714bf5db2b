"""What the target models share: host:port of a URL, URL and regular-expression validation."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from opsgate.targets._urls import endpoint
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
    ("rediss://r/0", "r:6379"), ("amqp://u:p@mq/", "mq:5672"), ("amqps://mq/", "mq:5671"),
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
