"""The documented defaults and ranges of `tls:` and `redis:` targets (README, SPEC-NOTES sources)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from opsgate.targets.redis import RedisTarget
from opsgate.targets.tls import TlsTarget
from opsgate.units import Threshold


def test_tls_defaults() -> None:
    target = TlsTarget(name="t", host="shop.example")
    assert target.days_left == Threshold(warn=20, crit=15)  # check_ssl_cert's defaults
    assert (target.min_version, target.min_rsa_bits, target.min_ec_bits) == ("TLSv1.2", 2048, 256)
    assert target.host_key == "shop.example:443"
    ports = {mode: TlsTarget(name="t", host="h", starttls=mode).effective_port
             for mode in (None, "postgres", "smtp")}
    assert ports == {None: 443, "postgres": 5432, "smtp": 25}


def test_redis_defaults() -> None:
    target = RedisTarget(name="r", url="redis://h/0")
    assert (target.ping, target.memory_ratio, target.clients_ratio) == (
        Threshold(warn=0.1, crit=1.0), Threshold(warn=0.8, crit=0.95), Threshold(warn=0.8, crit=0.95))
    assert (target.last_save_max, target.replication_lag) == (
        Threshold(crit=48 * 3600.0), Threshold(warn=10.0, crit=60.0))
    assert (target.hit_rate_min_lookups, target.persistence, target.host_key) == (1000, False, "h:6379")


@pytest.mark.parametrize(("model", "base", "key", "lowest", "highest"), [
    (TlsTarget, {"host": "h"}, "port", 1, 65535),
    (TlsTarget, {"host": "h"}, "min_rsa_bits", 512, None),
    (TlsTarget, {"host": "h"}, "min_ec_bits", 160, None),
    (RedisTarget, {"url": "redis://h/0"}, "hit_rate_min_lookups", 0, None),
    (RedisTarget, {"url": "redis://h/0"}, "dbsize_min", 0, None),
])
def test_numeric_keys_accept_their_range_only(model: Any, base: dict[str, Any], key: str, lowest: int,
                                              highest: int | None) -> None:
    for value in (lowest, highest):
        if value is not None:
            model.model_validate({"name": "t", **base, key: value})
    for value in (lowest - 1, None if highest is None else highest + 1):
        if value is not None:
            with pytest.raises(ValidationError):
                model.model_validate({"name": "t", **base, key: value})


def test_a_tls_host_is_required_to_be_non_empty() -> None:
    TlsTarget(name="t", host="h")
    with pytest.raises(ValidationError):
        TlsTarget(name="t", host="")


def test_options_that_would_be_ignored_are_refused() -> None:
    with pytest.raises(ValidationError, match="'verify: false' skips chain validation"):
        TlsTarget(name="t", host="h", verify=False, ca_bundle="/ca.pem")
    for option in ({"ca_bundle": "/ca.pem"}, {"insecure": True}):
        with pytest.raises(ValidationError, match="apply to rediss:// \\(TLS\\) URLs only"):
            RedisTarget.model_validate({"name": "r", "url": "redis://h/0", **option})
        RedisTarget.model_validate({"name": "r", "url": "rediss://h/0", **option})
