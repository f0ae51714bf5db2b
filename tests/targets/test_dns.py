"""The `dns:` target model: nameserver addresses and ports, defaults, how the resolver is named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from opsgate.targets.dns import DnsTarget, parse_nameserver


@pytest.mark.parametrize(("text", "parsed"), [
    ("9.9.9.9", ("9.9.9.9", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)), ("::1", ("::1", 53)),
    ("[::1]:5353", ("::1", 5353)), ("[2001:db8::53]", ("2001:db8::53", 53)),
    ("127.0.0.1:1", ("127.0.0.1", 1)), ("127.0.0.1:65535", ("127.0.0.1", 65535)),
])
def test_parse_nameserver(text: str, parsed: tuple[str, int]) -> None:
    assert parse_nameserver(text) == parsed


@pytest.mark.parametrize(("text", "problem"), [
    ("ns1.example",
     "expected a nameserver IP address such as '9.9.9.9' or '127.0.0.1:5353', got 'ns1.example'"),
    ("127.0.0.1:0", "nameserver port must be 1-65535, got '127.0.0.1:0'"),
    ("[::1]:65536", "nameserver port must be 1-65535, got '[::1]:65536'"),
])
def test_parse_nameserver_refuses(text: str, problem: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_nameserver(text)
    assert str(raised.value) == problem


def test_defaults_and_the_system_resolver() -> None:
    target = DnsTarget(name="d", host="a.example")
    assert (target.type, target.tcp, target.expect.min_answers, target.servers) == ("A", False, 1, [])
    assert target.resolver_label == "the system resolver"
    assert target.host_key == "dns:system"


def test_nameservers_are_parsed_named_and_the_first_keys_the_host() -> None:
    target = DnsTarget(name="d", host="a.example", nameservers=["127.0.0.1:5353", "[::1]:5354"])
    assert target.servers == [("127.0.0.1", 5353), ("::1", 5354)]
    assert target.resolver_label == "127.0.0.1:5353, [::1]:5354"
    assert target.host_key == "dns:127.0.0.1:5353"


@pytest.mark.parametrize(("keys", "problem"), [
    ({"host": ""}, "at least 1 character"),
    ({"host": "a.example", "nameservers": ["dns.example"]}, "expected a nameserver IP address"),
    ({"host": "a.example", "expect": {"min_answers": -1}}, "greater than or equal to 0"),
])
def test_invalid_targets(keys: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        DnsTarget.model_validate({"name": "d", **keys})


def test_a_name_may_be_expected_to_have_no_records() -> None:
    assert DnsTarget(name="d", host="a", expect={"min_answers": 0}).expect.min_answers == 0  # type: ignore[arg-type]
