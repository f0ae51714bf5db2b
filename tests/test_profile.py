"""Profile loading: interpolation, defaults, secrets, and a table of invalid profiles."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from opsgate.profile import ProfileError, load_profile, resolve_profile_path
from opsgate.units import Threshold

INVALID = sorted((Path(__file__).parent / "profiles" / "invalid").glob("*.yaml"))
REPO_PROFILES = Path(__file__).resolve().parent.parent / "profiles"


def expected_error(path: Path) -> str:
    first = path.read_bytes().splitlines()[0].decode("ascii")
    assert first.startswith("# error: "), f"{path} must start with '# error: <message>'"
    return first.removeprefix("# error: ")


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_profile_names_file_key_and_expectation(path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(path, environ={})
    message = str(caught.value)
    expected = f"{path}: {expected_error(path)}"
    # The whole line, unless the table gives a prefix (it then ends with ':').
    first = message.splitlines()[0]
    assert first.startswith(expected) if expected.endswith(":") else first == expected, message
    assert "pydantic" not in message  # no links to the library's error pages
    assert "\n" not in message, "each of these makes one mistake: one error, not one per union member"


# What the shipped examples expect from the environment (secrets this machine does not have).
EXAMPLE_ENVIRONMENT = {
    "REDIS_URL": "redis://:example-password@127.0.0.1:6379/0",
    "DATABASE_URL": "postgresql://app:example-password@127.0.0.1:5432/app",
    "STRIPE_WEBHOOK_SECRET": "whsec_example", "SHOPIFY_WEBHOOK_SECRET": "shpss_example",
    "ADMIN_API_KEY": "example-admin-key", "PROMETHEUS_TOKEN": "example-token",
    "OPENAI_API_KEY": "sk-example", "STRIPE_SECRET_KEY": "sk_test_example", "SEARCH_API_KEY": "example-key",
    "EBAY_OAUTH_TOKEN": "example-token",
}


@pytest.mark.parametrize("path", sorted(REPO_PROFILES.rglob("*.yaml")),
                         ids=lambda p: str(p.relative_to(REPO_PROFILES)))
def test_every_shipped_profile_loads(path: Path) -> None:
    profile, _ = load_profile(path, environ=EXAMPLE_ENVIRONMENT)
    assert profile.name
    assert any(targets for _, targets in profile.sections()), f"{path} checks nothing"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return path


def test_defaults_are_inherited_and_overridable(tmp_path: Path) -> None:
    profile, _ = load_profile(write(tmp_path, """
name: x
defaults: {timeout: 3s, retries: 2}
http:
  - {name: a, url: "http://127.0.0.1:1/"}
  - {name: b, url: "http://127.0.0.1:1/", timeout: 250ms, retries: 0}
"""), environ={})
    a, b = profile.http
    assert (profile.timeout_of(a), profile.retries_of(a)) == (3.0, 2)
    assert (profile.timeout_of(b), profile.retries_of(b)) == (0.25, 0)


@pytest.mark.parametrize(("environ", "url"), [
    ({"HOST": "127.0.0.1"}, "http://127.0.0.1:8080/price?$cur=eur"),
    # With X set, ${X:-d} gives X's value: every example profile relies on it.
    ({"HOST": "127.0.0.1", "PORT": "9999"}, "http://127.0.0.1:9999/price?$cur=eur"),
], ids=["default", "set-variable-wins"])
def test_interpolation_with_default_and_escape(tmp_path: Path, environ: dict[str, str], url: str) -> None:
    profile, _ = load_profile(write(tmp_path, """
name: x
http:
  - {name: a, url: "http://${HOST}:${PORT:-8080}/price?$$cur=eur"}
"""), environ=environ)
    assert profile.http[0].url == url


def test_declared_secrets_and_credentials_are_redacted(tmp_path: Path) -> None:
    _, redactor = load_profile(write(tmp_path, """
name: x
secrets: [ADMIN_API_KEY]
http:
  - name: a
    url: "http://deploy:hunter22@127.0.0.1:1/?key=${ADMIN_API_KEY}"
    headers: {X-Trace: "${ADMIN_API_KEY}"}
    bearer_token: tok-123456
"""), environ={"ADMIN_API_KEY": "s3cr3t-value"})
    text = "got s3cr3t-value and tok-123456 from http://deploy:hunter22@127.0.0.1:1/"
    assert redactor.redact(text) == "got *** and *** from http://deploy:***@127.0.0.1:1/"


def test_threshold_forms(tmp_path: Path) -> None:
    profile, _ = load_profile(write(tmp_path, """
name: x
http:
  - {name: a, url: "http://127.0.0.1:1/", expect: {response_time: 2s}}
  - {name: b, url: "http://127.0.0.1:1/", expect: {response_time: {warn: 500ms, crit: 2s}}}
"""), environ={})
    assert profile.http[0].expect.response_time == Threshold(crit=2.0)
    assert profile.http[1].expect.response_time == Threshold(warn=0.5, crit=2.0)


def test_profile_by_name_lists_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "staging.yaml").write_text("name: staging\n")
    assert resolve_profile_path("staging", tmp_path) == tmp_path / "staging.yaml"
    with pytest.raises(ProfileError, match=r"no profile named 'prod'.*\(available: staging\)"):
        resolve_profile_path("prod", tmp_path)


def test_declared_secrets_are_masked_even_when_unused(tmp_path: Path) -> None:
    _, redactor = load_profile(write(tmp_path, "name: x\nsecrets: [ADMIN_API_KEY]\n"),
                               environ={"ADMIN_API_KEY": "adm-XYZ-123"})
    assert redactor.redact("key=adm-XYZ-123") == "key=***"


def test_validation_errors_never_quote_a_secret(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(write(tmp_path, """
name: x
http:
  - {name: a, url: "http://127.0.0.1:1/", bearer_token: 987654321012}
"""), environ={})
    assert "bearer_token" in str(caught.value) and "987654321012" not in str(caught.value)


def test_a_long_secret_is_redacted_before_the_quote_is_cut(tmp_path: Path) -> None:
    token = "tok-" + "x7Q2" * 20  # longer than the 57 characters a quoted value keeps
    with pytest.raises(ProfileError) as caught:
        load_profile(write(tmp_path, """
name: x
secrets: [API_TOKEN]
http:
  - {name: a, url: "http://127.0.0.1:1/", bearer_token: ["${API_TOKEN}"]}
"""), environ={"API_TOKEN": token})
    message = str(caught.value)
    assert "http[0].bearer_token: input should be a valid string (got ['***'])" in message
    assert "x7Q2x7Q2" not in message


def test_deep_nesting_is_refused_by_the_pure_python_parser_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # PyYAML without libyaml composes nested values by recursion: 5,000 levels exhaust the stack.
    monkeypatch.setattr("opsgate.profile._Loader", yaml.SafeLoader)
    path = write(tmp_path, "name: x\na: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ProfileError, match="values nest deeper than 32 levels"):
        load_profile(path, environ={})


def test_one_error_per_mistake_target_by_target_with_the_users_key_paths(tmp_path: Path) -> None:
    path = write(tmp_path, """
name: x
secrets: MYSVC_TOKEN
http:
  - name: a
    url: http://127.0.0.1:1/
    security_headers: {base: baseline, requir: {X-Frame-Options: DENY}}
    expect: {status: [1.5]}
  - {name: b, url: "http://127.0.0.1:1/", security_headers: strict, expect: {status: {code: 1}}}
""")
    with pytest.raises(ProfileError) as caught:
        load_profile(path, environ={})
    assert [line.removeprefix(f"{path}: ") for line in str(caught.value).splitlines()] == [
        "secrets: input should be a valid list (got 'MYSVC_TOKEN')",
        "http[0].expect.status[0]: input should be a valid integer, got a number with a fractional "
        "part (got 1.5)",
        "http[0].security_headers.requir: unknown key (expected one of: base, forbid, hsts_min_age, "
        "hsts_recommended_age, min_grade, relax, require)",
        "http[1].expect.status: expected a number, a list or a string (got {'code': 1})",
        "http[1].security_headers: input should be 'baseline' (got 'strict')",
    ]
def test_documented_defaults_and_their_bounds(tmp_path: Path) -> None:
    profile, _ = load_profile(write(tmp_path, "name: x\ndemo: {}\n"), environ={})
    d = profile.defaults
    assert (d.timeout, d.retries, d.concurrency, d.per_host_concurrency) == (10.0, 0, 64, 32)
    assert profile.demo is not None
    assert (profile.demo.port, profile.demo.https_port, profile.demo.broken) == (8642, 8643, False)


@pytest.mark.parametrize(("section", "key", "lowest", "highest"), [
    ("defaults", "retries", 0, 10), ("defaults", "concurrency", 1, 1024),
    ("defaults", "per_host_concurrency", 1, 1024), ("demo", "port", 1, 65535),
    ("demo", "https_port", 1, 65535),
])
def test_numeric_settings_accept_their_range_only(tmp_path: Path, section: str, key: str, lowest: int,
                                                  highest: int) -> None:
    for value in (lowest, highest):
        load_profile(write(tmp_path, f"name: x\n{section}: {{{key}: {value}}}\n"), environ={})
    for value in (lowest - 1, highest + 1):
        with pytest.raises(ProfileError, match=rf"{section}\.{key}: input should be"):
            load_profile(write(tmp_path, f"name: x\n{section}: {{{key}: {value}}}\n"), environ={})


def test_a_nested_unknown_key_lists_the_keys_of_its_own_mapping(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(write(tmp_path, 'name: x\nhttp:\n  - {name: a, url: "http://h/", expect: {bogus: 1}}\n'),
                     environ={})
    assert str(caught.value).endswith("http[0].expect.bogus: unknown key (expected one of: body_forbids, "
                                      "body_matches, headers, headers_absent, json_path, json_subset, "
                                      "response_time, status)")


def test_a_long_bad_value_is_quoted_short(tmp_path: Path) -> None:
    # A quote of 60 characters is shown whole, one of 61 is cut to 57 and "...".
    for digits, shown in ((57, repr("9" * 57 + "x")), (58, repr("9" * 58 + "x")[:57] + "...")):
        with pytest.raises(ProfileError) as caught:
            load_profile(write(tmp_path, f"name: x\ndefaults: {{retries: {'9' * digits}x}}\n"), environ={})
        assert str(caught.value).endswith(f"(got {shown})")


def test_broken_yaml_names_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"line 2, column 1: invalid YAML: did not find expected ','"):
        load_profile(write(tmp_path, "name: [unclosed\n"), environ={})


def test_an_unreadable_profile_is_a_profile_error(tmp_path: Path) -> None:
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    with pytest.raises(ProfileError, match="folder.yaml: cannot read profile: Is a directory"):
        load_profile(folder, environ={})


def test_profile_paths_and_names(tmp_path: Path) -> None:
    plain = tmp_path / "production"  # a file given by path, without a YAML suffix
    plain.write_text("name: p\n")
    assert resolve_profile_path(str(plain), tmp_path / "profiles") == plain
    with pytest.raises(ProfileError, match="profile file missing.yaml does not exist"):
        resolve_profile_path("missing.yaml", tmp_path)


def test_only_declared_secrets_are_masked(tmp_path: Path) -> None:
    _, redactor = load_profile(write(tmp_path, """
name: x
secrets: [CUSTOMER_ID]
http:
  - {name: a, url: "http://${HOST}/orders/${CUSTOMER_ID}"}
"""), environ={"HOST": "127.0.0.1", "CUSTOMER_ID": "cust-4711"})
    assert redactor.redact("GET http://127.0.0.1/orders/cust-4711") == "GET http://127.0.0.1/orders/***"


@pytest.mark.parametrize(("target", "error"), [
    ('{name: a, url: "http://h/", basic_auth: {username: u, password: p, bogus: 1}}',
     "http[0].basic_auth.bogus: unknown key (expected one of: password, username)"),
    ('{name: a, url: "http://h/", insecure: maybe}',
     "http[0].insecure: input should be a valid boolean, unable to interpret input (got 'maybe')"),
], ids=["unknown-key-in-optional-mapping", "bad-boolean"])
def test_errors_name_the_key_and_what_was_expected(tmp_path: Path, target: str, error: str) -> None:
    path = write(tmp_path, f"name: x\nhttp:\n  - {target}\n")
    with pytest.raises(ProfileError) as caught:
        load_profile(path, environ={})
    assert str(caught.value) == f"{path}: {error}"


def test_union_members_stay_out_of_the_key_path(tmp_path: Path) -> None:
    path = write(tmp_path, 'name: x\nredis:\n  - {name: r, url: "redis://h/0", memory_ratio: {warn: abc}}\n')
    with pytest.raises(ProfileError) as caught:
        load_profile(path, environ={})
    assert str(caught.value) == f"{path}: redis[0].memory_ratio: expected a number, got 'abc'"
