"""Rules for DNS answers: present, include / equal / match the expected values, TTL, time."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from opsgate.units import format_duration
from opsgate.verdict import Verdict, describe

if TYPE_CHECKING:
    from opsgate.probes.dns import DnsFacts
    from opsgate.targets.dns import DnsTarget


def normalize(value: str, record_type: str) -> str:
    """Expected values compare like answers: names lower-case without the final dot."""
    return value if record_type == "TXT" else value.strip().rstrip(".").lower()


def _present(wanted: str, answers: tuple[str, ...], record_type: str) -> bool:
    if wanted in answers:
        return True
    # An MX may be given as just the exchange: `mail.example.com` matches `10 mail.example.com`.
    return record_type == "MX" and any(a.split(" ", 1)[-1] == wanted for a in answers)


def judge_dns(target: DnsTarget, facts: DnsFacts, verdict: Verdict) -> None:
    """Add a finding for every expectation the answers do not meet."""
    expect = target.expect
    verdict.evidence("dns answers", facts.evidence())
    verdict.note("answers", ", ".join(facts.answers) or "none")
    shown = describe(list(facts.answers), 160)
    if len(facts.answers) < expect.min_answers:
        verdict.fail(f"{facts.type} {facts.host} has {len(facts.answers)} record(s) via {facts.resolver}"
                     f" (NODATA), expected at least {expect.min_answers}: add the record to the zone "
                     "or fix the name")
    for value in expect.include:
        wanted = normalize(value, facts.type)
        if not _present(wanted, facts.answers, facts.type):
            verdict.fail(f"{facts.type} {facts.host}: {wanted!r} missing from the answers {shown}; "
                         "update the record (or wait out the TTL after a change)")
    if expect.equals is not None:
        wanted_set = {normalize(v, facts.type) for v in expect.equals}
        if wanted_set != set(facts.answers):
            verdict.fail(f"{facts.type} {facts.host}: answers {shown}, expected exactly "
                         f"{describe(sorted(wanted_set), 160)}; fix the record set")
    if expect.matches is not None:
        for answer in facts.answers:
            if not re.search(expect.matches, answer):
                verdict.fail(f"{facts.type} {facts.host}: answer {answer!r} does not match "
                             f"/{expect.matches}/")
    _judge_ttl(target, facts, verdict)
    verdict.measure("resolution time", facts.elapsed, expect.resolution_time, fmt=format_duration,
                    advice=f"{facts.resolver} is slow; check its load and upstreams")


def _judge_ttl(target: DnsTarget, facts: DnsFacts, verdict: Verdict) -> None:
    expect = target.expect
    if facts.ttl is None:
        return
    verdict.note("ttl", facts.ttl, f"{facts.ttl}s")
    if expect.ttl_min is not None and facts.ttl < expect.ttl_min:
        verdict.fail(f"TTL of {facts.type} {facts.host} is {facts.ttl}s, below the minimum "
                     f"{format_duration(expect.ttl_min)}: raise it in the zone (a caching resolver "
                     "counts it down, so query the authoritative server)")
    if expect.ttl_max is not None and facts.ttl > expect.ttl_max:
        verdict.fail(f"TTL of {facts.type} {facts.host} is {facts.ttl}s, above the maximum "
                     f"{format_duration(expect.ttl_max)}: lower it before a migration")
