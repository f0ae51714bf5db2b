"""Secrets never reach output: declared values, credential keys and URL passwords."""

from __future__ import annotations

import base64
import json

import pytest

from opsgate.redact import CUT, MASK, Redactor, clip, mask_header


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


def test_credential_query_parameters_are_masked_even_when_unknown() -> None:
    text = "GET http://h:1/status?api_key=live_9f8e7d&page=2&token=tok_12345&X-Sig=abc: refused"
    assert Redactor().redact(text) == (
        f"GET http://h:1/status?api_key={MASK}&page=2&token={MASK}&X-Sig={MASK}: refused")


def test_learned_query_credentials_are_masked_anywhere() -> None:
    redactor = Redactor()
    redactor.learn_from({"http": [{"url": "https://h/metrics?access_token=qwerty123"}]})
    assert redactor.redact("echoed qwerty123") == f"echoed {MASK}"


def test_numbers_under_credential_keys_are_secrets_too() -> None:
    redactor = Redactor()
    redactor.learn_from({"bearer_token": 987654321012, "X-Auth-Key": "k-1"})
    assert redactor.redact("got 987654321012 and k-1") == f"got {MASK} and {MASK}"


def test_headers_as_evidence_shows_keep_cookie_flags_but_not_values() -> None:
    assert mask_header("Set-Cookie", "sessionid=abc123; Secure; HttpOnly") == (
        f"sessionid={MASK}; Secure; HttpOnly")
    assert mask_header("Authorization", "Bearer x") == MASK
    assert mask_header("X-Api-Key", "k") == MASK
    assert mask_header("Content-Type", "text/html") == "text/html"


def test_every_derived_form_of_a_secret_is_masked() -> None:
    redactor = Redactor({"QryTok%2Bab/cd"})
    for form in ("QryTok%2Bab/cd", "QryTok+ab/cd", "QryTok%2Bab%2Fcd", "QryTok%252Bab%2Fcd"):
        assert redactor.redact(f"echo {form} end") == f"echo {MASK} end", form


def test_a_decoded_secret_is_masked_url_encoded_and_json_escaped() -> None:
    redactor = Redactor({'Rd@Pw"x\\y'})
    for form in ("Rd%40Pw%22x%5Cy", 'Rd@Pw\\"x\\\\y'):
        assert redactor.redact(f"sent {form}") == f"sent {MASK}", form


def test_basic_auth_is_masked_as_its_base64_from_basic_auth_and_url_userinfo() -> None:
    redactor = Redactor()
    redactor.learn_from({
        "http": [{"basic_auth": {"username": "relkit", "password": "Bx-pass-1"}}],
        "redis": [{"url": "redis://app:Rd%40Pw-77@127.0.0.1:6379/0"}],
    })
    from_profile = base64.b64encode(b"relkit:Bx-pass-1").decode()
    from_url = base64.b64encode(b"app:Rd@Pw-77").decode()
    text = f"Authorization: Basic {from_profile}; Basic {from_url}; pw Rd@Pw-77"
    assert redactor.redact(text) == f"Authorization: Basic {MASK}; Basic {MASK}; pw {MASK}"


def test_an_unparsable_url_teaches_nothing_and_breaks_nothing() -> None:
    redactor = Redactor()
    redactor.learn_from({"address": "a://[", "url": "http://u:pw-123@[::1/x"})
    assert redactor.redact("see a://[") == "see a://["


def test_a_secret_learned_after_a_redaction_is_masked_too() -> None:
    redactor = Redactor({"first-secret"})
    assert redactor.redact("first-secret") == MASK
    redactor.add("second-secret")
    assert redactor.redact("first-secret second-secret") == f"{MASK} {MASK}"


def test_a_url_after_a_long_run_of_letters_is_still_masked() -> None:
    text = "A" * 5000 + " redis://:pw-77@127.0.0.1:6379/0"
    assert Redactor().redact(text).endswith(f" redis://:{MASK}@127.0.0.1:6379/0")
def test_the_token_of_an_authorization_header_is_masked_alone() -> None:
    # A server that echoes the token without its "Bearer " prefix must not leak it either.
    redactor = Redactor()
    redactor.learn_from({"http": [{"headers": {"Authorization": "Bearer eyJhbGciOi.token-77"}}]})
    assert redactor.redact("401: invalid token eyJhbGciOi.token-77") == f"401: invalid token {MASK}"


def test_booleans_and_nulls_under_credential_keys_are_not_secrets() -> None:
    # `insecure: true` or an unset `password:` must not turn every "True"/"None" into ***.
    redactor = Redactor()
    redactor.learn_from({"password": None, "api_key": True})
    assert redactor.redact("verify=True, auth=None") == "verify=True, auth=None"


def test_unparseable_urls_neither_crash_nor_leak_what_can_be_read() -> None:
    redactor = Redactor()
    redactor.learn_from({"url": "http://[::1/health", "token": "tok-9876"})
    assert redactor.redact("GET http://[::1/health?token=tok-9876 failed") == (
        f"GET http://[::1/health?token={MASK} failed")


def test_clip_marks_a_cut_and_leaves_short_text_alone() -> None:
    assert clip("abcdef", 6) == "abcdef"
    assert clip("abcdefg", 6) == "abcdef" + CUT


@pytest.mark.parametrize("kept", range(3, 20))
def test_the_head_of_a_secret_cut_by_an_excerpt_is_masked(kept: int) -> None:
    secret = "sk_live_4eC39HqLyjWD"  # 20 characters
    text = "echo: Bearer " + secret + " and more"
    excerpt = clip(text, len("echo: Bearer ") + kept)
    assert Redactor({secret}).redact(excerpt) == "echo: Bearer ***" + CUT


def test_a_head_is_masked_only_where_a_cut_ends_it() -> None:
    redactor = Redactor({"sk_live_4eC39HqLyjWD"})
    assert redactor.redact("sk_live is the prefix" + CUT) == "sk_live is the prefix" + CUT
    assert redactor.redact("two heads: sk_l" + CUT + " and sk_live_4eC" + CUT) == (
        "two heads: ***" + CUT + " and ***" + CUT)
    assert redactor.redact("two characters: sk" + CUT) == "two characters: sk" + CUT


def test_a_head_is_masked_before_a_cut_escaped_inside_json() -> None:
    redactor = Redactor({"sk_live_4eC39HqLyjWD"})
    as_json = json.dumps({"message": "Bearer " + clip("sk_live_4eC39HqLyjWD", 10)})
    assert redactor.redact(as_json) == json.dumps({"message": "Bearer ***" + CUT})
