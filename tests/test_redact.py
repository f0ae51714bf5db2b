"""Secrets never reach output: declared values, credential keys and URL passwords."""

from __future__ import annotations

from opsgate.redact import MASK, Redactor


def test_known_secrets_are_masked_longest_first() -> None:
    redactor = Redactor({"abc123", "abc123-long"})
    assert redactor.redact("key abc123-long and abc123") == f"key {MASK} and {MASK}"


def test_tiny_values_are_not_treated_as_secrets() -> None:
    assert Redactor({"a", "ab"}).redact("a cab") == "a cab"


def test_url_passwords_are_masked_even_when_unknown() -> None:
    text = "connect redis://:hunter2@10.0.0.1:6379/0 and postgresql://app:pw@db/x failed"
    assert Redactor().redact(text) == (
        f"connect redis://:{MASK}@10.0.0.1:6379/0 and postgresql://app:{MASK}@db/x failed")


def test_learning_from_profile_data() -> None:
    redactor = Redactor()
    redactor.learn_from({
        "http": [{"headers": {"X-Admin-API-Key": "k-987654", "Accept": "application/json"},
                  "bearer_token": "tok-111", "basic_auth": {"username": "u", "password": "p@ss"}}],
        "webhooks": [{"secret": "whsec_zzz"}],
        "databases": [{"url": "mysql://root:rootpw@127.0.0.1/test"}],
    })
    text = "k-987654 tok-111 p@ss whsec_zzz rootpw application/json"
    assert redactor.redact(text) == f"{MASK} {MASK} {MASK} {MASK} {MASK} application/json"
    assert "tok-111" in redactor and "application/json" not in redactor


def test_mapping_redaction_masks_credential_headers() -> None:
    headers = {"Authorization": "Bearer x", "Cookie": "sid=1", "Content-Type": "text/html"}
    assert Redactor().redact_mapping(headers) == {
        "Authorization": MASK, "Cookie": MASK, "Content-Type": "text/html"}
