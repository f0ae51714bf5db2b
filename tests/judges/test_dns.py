"""DNS rules on answer facts: presence, include/equals/matches, MX by exchange, TTL bounds, time."""

from __future__ import annotations

from typing import Any

from opsgate.judges.dns import judge_dns
from opsgate.probes.dns import DnsFacts
from opsgate.targets.dns import DnsTarget
from opsgate.verdict import Verdict


def messages(answers: tuple[str, ...], kind: str = "A", ttl: int | None = 300, elapsed: float = 0.01,
             **expect: Any) -> list[str]:
    target = DnsTarget(name="d", host="api.example.test", type=kind, expect=expect)
    facts = DnsFacts(host="api.example.test", type=kind, resolver="127.0.0.1:5353", answers=answers,
                     ttl=ttl, elapsed=elapsed, canonical_name="api.example.test")
    verdict = Verdict(target=target)
    judge_dns(target, facts, verdict)
    return [f"{f.level}: {f.message}" for f in verdict.findings]


def test_answers_meeting_every_expectation() -> None:
    assert messages(("10.0.0.1", "10.0.0.2"), include=["10.0.0.1"], equals=["10.0.0.2", "10.0.0.1"],
                    matches=r"^10\.", ttl_min="60s", ttl_max="1h", resolution_time="1s") == []


def test_no_records() -> None:
    assert messages((), ttl=None) == [
        "crit: A api.example.test has 0 record(s) via 127.0.0.1:5353 (NODATA), expected at least 1: "
        "add the record to the zone or fix the name"]


def test_missing_value_and_unequal_set() -> None:
    found = messages(("10.0.0.9",), include=["10.0.0.1"], equals=["10.0.0.1"])
    assert found[0].startswith("crit: A api.example.test: '10.0.0.1' missing from the answers [\"10.0.0.9\"]")
    assert found[1].startswith("crit: A api.example.test: answers [\"10.0.0.9\"], expected exactly")


def test_mx_by_exchange_and_trailing_dot() -> None:
    assert messages(("10 mail.example.test",), kind="MX", include=["Mail.Example.Test."]) == []


def test_match_and_ttl_bounds() -> None:
    found = messages(("v=spf1 -all",), kind="TXT", ttl=30, matches="^v=opsgate", ttl_min="60s")
    assert found == [
        "crit: TXT api.example.test: answer 'v=spf1 -all' does not match /^v=opsgate/",
        "crit: TTL of TXT api.example.test is 30s, below the minimum 60s: raise it in the zone (a caching "
        "resolver counts it down, so query the authoritative server)",
    ]
    assert messages(("1.1.1.1",), ttl=86400, ttl_max="1h")[0].startswith(
        "crit: TTL of A api.example.test is 86400s, above the maximum 60m")


def test_slow_resolution_warns() -> None:
    assert messages(("1.1.1.1",), elapsed=0.3, resolution_time={"warn": "200ms", "crit": "1s"}) == [
        "warn: resolution time is 300ms, above the limit 200ms (warn): 127.0.0.1:5353 is slow; "
        "check its load and upstreams"]


def test_txt_values_keep_their_case_and_final_dot() -> None:
    assert messages(("v=DKIM1; k=rsa; p=MIGf.",), kind="TXT", include=["v=DKIM1; k=rsa; p=MIGf."]) == []
    assert messages(("v=dkim1",), kind="TXT", include=["v=DKIM1"]) == [
        "crit: TXT api.example.test: 'v=DKIM1' missing from the answers [\"v=dkim1\"]; update the record "
        "(or wait out the TTL after a change)"]


def test_only_an_mx_may_be_given_by_its_exchange() -> None:
    # A TXT record's last word is not the record.
    assert messages(("v=spf1 -all",), kind="TXT", include=["-all"])[0].startswith(
        "crit: TXT api.example.test: '-all' missing from the answers")


def test_an_mx_exchange_must_be_one_of_the_answers() -> None:
    found = messages(("10 mx1.example.test", "20 mx3.example.test"), kind="MX", include=["mx2.example.test"])
    assert found == [
        "crit: MX api.example.test: 'mx2.example.test' missing from the answers "
        "[\"10 mx1.example.test\", \"20 mx3.example.test\"]; update the record (or wait out the TTL after a "
        "change)"]


def test_the_answers_are_noted_for_the_summary() -> None:
    def noted(answers: tuple[str, ...]) -> str:
        target = DnsTarget(name="d", host="api.example.test", expect={"min_answers": 0})
        facts = DnsFacts(host="api.example.test", type="A", resolver="r", answers=answers, ttl=None,
                         elapsed=0.01, canonical_name="api.example.test")
        verdict = Verdict(target=target)
        judge_dns(target, facts, verdict)
        return {m.name: m.display for m in verdict.measurements}["answers"]

    assert noted(("10.0.0.1", "10.0.0.2")) == "10.0.0.1, 10.0.0.2"
    assert noted(()) == "none"


def test_answers_are_quoted_whole_up_to_160_characters() -> None:
    # json.dumps of one answer adds 4 characters: `["` and `"]`.
    fits, cut = "a" * 156, "b" * 157
    [missing, unequal] = messages((fits,), kind="TXT", include=["x"], equals=[fits + "c"])
    assert f'answers ["{fits}"]; update' in missing
    assert f'answers ["{fits}"], expected exactly ["{fits[:155]}...; fix' in unequal
    [missing, unequal] = messages((cut,), kind="TXT", include=["x"], equals=[cut[:156]])
    assert f'answers ["{cut[:155]}...; update' in missing
    assert f'expected exactly ["{cut[:156]}"]; fix' in unequal


def test_ttl_bounds_are_inclusive() -> None:
    assert messages(("1.1.1.1",), ttl=60, ttl_min="60s", ttl_max="60s") == []
