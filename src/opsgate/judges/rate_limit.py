"""Rules for a rate limit: the first 429 comes after the documented limit and within the margin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsgate.units import format_duration

if TYPE_CHECKING:
    from opsgate.probes.rate_limit import RateLimitFacts
    from opsgate.targets.rate_limit import RateLimitTarget
    from opsgate.verdict import Verdict


def judge_rate_limit(target: RateLimitTarget, facts: RateLimitFacts, verdict: Verdict) -> None:
    """Fail when no 429 came within `limit + margin` requests, or one came at or before the limit."""
    verdict.evidence("rate limit probe", facts.evidence())
    verdict.note("requests sent", facts.sent, str(facts.sent))
    for name, value in facts.limited_headers.items():
        verdict.note(name, value)
    per = f" per {format_duration(target.window)}" if target.window else ""
    if facts.first_429 is None:
        verdict.fail(f"no 429 after {facts.sent} requests (documented limit {target.limit}{per} + margin "
                     f"{target.allowed_margin}): the rate limit is not enforced; check the limiter's "
                     "configuration and that its store (e.g. Redis) is reachable from the service")
        return
    verdict.note("first 429 at request", facts.first_429, str(facts.first_429))
    if facts.first_429 <= target.limit:
        verdict.fail(f"429 at request {facts.first_429}, within the documented limit of {target.limit}{per}: "
                     "the limit is stricter than documented, or other traffic from this client shares the "
                     "window; run again after the window, then fix the limit or the documentation")
    if "retry-after" not in {name.lower() for name in facts.limited_headers}:
        verdict.warn("the 429 has no Retry-After header: clients cannot tell when to retry "
                     "(RFC 6585 section 4 asks for one)")
