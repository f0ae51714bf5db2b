"""The `webhooks:` target model: defaults, options that need a scheme, Standard Webhooks secrets."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pydantic import ValidationError

from opsgate.targets.webhook import HmacScheme, WebhookTarget, standard_key

URL = "http://127.0.0.1:8080/hooks"
KEY = b"0123456789abcdef0123456789abcdef"


def webhook(**keys: Any) -> WebhookTarget:
    return WebhookTarget.model_validate({"name": "hooks", "url": URL, **keys})


def test_defaults() -> None:
    target = webhook(scheme="github", secret="s")
    assert (target.event_type, target.reject_stale, target.stale_by, target.body, target.headers) == (
        "opsgate.ping", False, 3600.0, None, {})
    assert target.hmac_scheme == HmacScheme(header="X-Signature", digest="sha256", encoding="hex", prefix="")
    # Test events are side effects: not in the smoke gate, and only under `-m intrusive`.
    assert target.effective_suites == ("weekly", "premaintenance") and target.intrusive is True
    assert target.host_key == "127.0.0.1:8080"


def test_hmac_settings_are_read_for_the_hmac_scheme() -> None:
    target = webhook(scheme="hmac", secret="s", hmac={"header": "X-Sig", "digest": "sha1", "prefix": "sha1="})
    assert target.hmac_scheme == HmacScheme(header="X-Sig", digest="sha1", encoding="hex", prefix="sha1=")


@pytest.mark.parametrize(("keys", "problem"), [
    ({"scheme": "github", "secret": "s", "hmac": {"header": "X-Sig"}},
     "'hmac' settings apply only to scheme 'hmac', not 'github'"),
    ({"scheme": "shopify", "secret": "s", "reject_stale": True},
     "'reject_stale' needs a signed timestamp: scheme 'shopify' has none \\(use 'stripe' or 'standard'\\)"),
    ({"scheme": "stripe", "secret": "s", "hmac": {"header": "X-Sig"}},
     "'hmac' settings apply only to scheme 'hmac', not 'stripe'"),
    ({"scheme": "standard", "secret": "whsec_not base64!"},
     "a 'standard' webhook secret must be 'whsec_' followed by base64"),
    # A character outside base64 is refused, not skipped (skipped, the rest would decode).
    ({"scheme": "standard", "secret": "whsec_dGV*zdA=="},
     "a 'standard' webhook secret must be 'whsec_' followed by base64"),
    ({"scheme": "standard", "secret": "whsec_dGVzdA\u00e9"},
     "a 'standard' webhook secret must be 'whsec_' followed by base64"),
    ({"scheme": "github", "secret": ""}, "at least 1 character"),
    ({"scheme": "github", "secret": "s", "url": "ftp://hooks.example/"},
     "expected an http:// or https:// URL"),
])
def test_invalid_targets(keys: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        webhook(**keys)


@pytest.mark.parametrize("scheme", ["stripe", "standard"])
def test_schemes_with_a_signed_timestamp_can_reject_stale_events(scheme: str) -> None:
    secret = "whsec_" + base64.b64encode(KEY).decode()
    assert webhook(scheme=scheme, secret=secret, reject_stale=True, stale_by="10m").stale_by == 600.0


@pytest.mark.parametrize("key", [KEY, KEY[:31]])  # base64 ends in "=" (32 bytes) or "==" (31 bytes)
@pytest.mark.parametrize("padded", [True, False])
def test_a_standard_secret_with_or_without_padding_gives_its_key(key: bytes, padded: bool) -> None:
    encoded = base64.b64encode(key).decode() if padded else base64.b64encode(key).decode().rstrip("=")
    assert standard_key("whsec_" + encoded) == key
    assert webhook(scheme="standard", secret="whsec_" + encoded).secret == "whsec_" + encoded


@pytest.mark.parametrize("scheme", ["stripe", "github", "shopify", "hmac"])
def test_other_schemes_take_any_secret(scheme: str) -> None:
    secret = "whsec_test_secret_for_opsgate"  # not base64: "_" is outside its alphabet
    assert webhook(scheme=scheme, secret=secret).secret == secret
