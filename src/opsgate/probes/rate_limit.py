"""Rate-limit probe: paced requests until the first 429 or until `limit + margin` are spent (intrusive).

Requests go one at a time on one connection, at most `rate` per second, and stop at the first 429:
the probe never floods, and never sends more than the budget the profile allows.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from opsgate.deadline import Deadline
from opsgate.errors import ProbeTimeout, ProtocolFailure
from opsgate.probes.auth import auth_headers
from opsgate.probes.http import http_failure
from opsgate.probes.transport import client_tls
from opsgate.targets.rate_limit import RateLimitTarget

# The headers that describe a limit: RFC 9110 Retry-After, the IETF RateLimit draft, the common X- ones.
LIMIT_HEADERS = ("retry-after", "ratelimit", "ratelimit-policy", "ratelimit-limit", "ratelimit-remaining",
                 "ratelimit-reset", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


@dataclass(frozen=True)
class RateLimitFacts:
    """How many requests were sent, which one got the first 429, and the limit headers seen."""

    url: str
    sent: int
    first_429: int | None
    statuses: Counter[int]
    first_headers: dict[str, str] = field(default_factory=dict)
    limited_headers: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0

    def evidence(self) -> str:
        lines = [f"# {self.url}: {self.sent} request(s) in {self.elapsed:.1f}s, first 429 at "
                 f"{self.first_429 or 'none'}",
                 "statuses: " + ", ".join(f"{code} x{n}" for code, n in sorted(self.statuses.items()))]
        for title, headers in (("first answer", self.first_headers), ("429 answer", self.limited_headers)):
            if headers:
                lines.append(f"{title}: " + "; ".join(f"{k}: {v}" for k, v in headers.items()))
        return "\n".join(lines)


def probe(target: RateLimitTarget, timeout: float) -> RateLimitFacts:
    """Send up to `target.budget` paced requests within `timeout`, stopping at the first 429."""
    deadline = Deadline(timeout)
    where = f"{target.method} {target.url}"
    headers = {"User-Agent": "opsgate", **target.headers,
               **auth_headers(target.bearer_token, target.basic_auth)}
    statuses: Counter[int] = Counter()
    first: dict[str, str] = {}
    gap = 1.0 / target.rate
    started = time.monotonic()
    verify = client_tls(f"rate_limits {target.name}", target.ca_bundle, target.insecure)
    with httpx.Client(verify=verify, follow_redirects=False) as client:
        for number in range(1, target.budget + 1):
            sent_at = time.monotonic()
            response = _send(client, target, headers, where, deadline, number)
            statuses[response.status_code] += 1
            found = _limit_headers(response)
            first = first or found
            if response.status_code == 429:
                return RateLimitFacts(target.url, number, number, statuses, first, found,
                                      time.monotonic() - started)
            if response.status_code >= 500 or response.status_code in (401, 403, 404):
                raise ProtocolFailure(f"{where}: request {number} answered {response.status_code} "
                                      f"{response.reason_phrase}, not 2xx or 429: the limit cannot be probed "
                                      "(wrong URL or credentials, or the service fails under this pace)")
            time.sleep(max(0.0, sent_at + gap - time.monotonic()))
    return RateLimitFacts(target.url, target.budget, None, statuses, first, {}, time.monotonic() - started)


def _send(client: httpx.Client, target: RateLimitTarget, headers: dict[str, str], where: str,
          deadline: Deadline, number: int) -> httpx.Response:
    try:
        seconds = deadline.budget(f"request {number} of {target.budget}")
    except ProbeTimeout:
        raise ProbeTimeout(f"{where}: {number - 1} of up to {target.budget} requests sent when the "
                           f"{deadline.seconds:g}s timeout ran out; at {target.rate:g}/s the probe needs "
                           f"about {target.budget / target.rate:.0f}s: raise `timeout` or `rate`") from None
    try:
        return client.request(target.method, target.url, headers=headers, timeout=seconds)
    except httpx.HTTPError as exc:
        raise http_failure(where, target.url, exc, seconds, 0) from None


def _limit_headers(response: httpx.Response) -> dict[str, str]:
    return {name: response.headers[name] for name in LIMIT_HEADERS if name in response.headers}
