"""OWASP-style baseline rules over one response's headers: what the profile's policy judges.

Each rule has one stable id (`RULES`) and returns `HeaderFinding`s (crit/warn). Rules follow
the OWASP Secure Headers Project and check_ssl_cert's `--check-http-headers`, adjusted by the
policy's `require`, `forbid` and `relax`. Unlike the Observatory score, they judge headers as
browsers read them: `Strict-Transport-Security: max-age = 31536000` (spaces around "=") is
valid, `max-age=31536000abc` is not (RFC 6797 6.1; browsers ignore such a header).

Findings never quote a cookie value, nor the value of a `require`d/`forbid`den header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from opsgate.judges.security_headers.csp import Csp
from opsgate.judges.security_headers.headers import (
    REFERRER_LEAKY,
    ResponseHeaders,
    samesite_valid,
    shown,
)
from opsgate.targets.http import SecurityHeadersPolicy

__all__ = ["RULES", "HeaderFinding", "baseline_findings", "validate_rule_ids"]

Level = Literal["crit", "warn"]

RULES: tuple[str, ...] = (
    "hsts",
    "csp",
    "x-content-type-options",
    "clickjacking",
    "referrer-policy",
    "info-leak",
    "cookies",
    "required",
    "forbidden",
)


@dataclass(frozen=True)
class HeaderFinding:
    """One judged problem; `rule` is one of `RULES`, `message` says what to change."""

    rule: str
    level: Level
    message: str


@dataclass(frozen=True)
class _Hsts:
    max_age: int | None
    include_subdomains: bool
    problem: str | None  # why the header is invalid, None when it is valid


def _parse_hsts(values: list[str]) -> _Hsts | None:
    """Parse Strict-Transport-Security; None when absent, `problem` set when invalid."""
    if not values:
        return None
    if len(values) > 1:
        return _Hsts(None, False, f"is sent {len(values)} times")
    if "," in values[0]:
        return _Hsts(None, False, "contains a comma (set twice by the server and a proxy?)")
    max_age: int | None = None
    include_subdomains = False
    problem: str | None = None
    for directive in values[0].split(";"):
        key, _, value = directive.partition("=")
        key = key.strip().lower()
        if key == "max-age":
            value = value.strip().strip('"')
            if value.isdigit():
                max_age = int(value)
            else:
                problem = f"has an invalid max-age {shown(value)}"
        elif key == "includesubdomains":
            include_subdomains = True
    if problem is None and max_age is None:
        problem = "has no max-age directive"
    return _Hsts(max_age, include_subdomains, problem)


_CSP_BROAD = frozenset({"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"})
_CSP_NONCE_HASH = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
_LEAKY_HEADERS = ("X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version")
_SERVER_VERSION = re.compile(r"\d+\.\d+|/\s*v?\d")
_RECOMMENDED_CSP = "default-src 'self'; object-src 'none'; frame-ancestors 'none'"


def _script_sources(csp: Csp) -> frozenset[str] | None:
    """script-src (else default-src) with 'unsafe-inline' dropped when a nonce/hash is present.

    Browsers supporting nonces/hashes ignore 'unsafe-inline' beside them (the CSP2
    backwards-compatible pattern).
    """
    sources = csp.directives.get("script-src", csp.directives.get("default-src"))
    if sources is None:
        return None
    if any(s.startswith(_CSP_NONCE_HASH) for s in sources):
        sources = sources - {"'unsafe-inline'"}
    return sources


def _frame_ancestors_protect(csp: Csp | None) -> bool | None:
    """Whether CSP frame-ancestors forbids framing by any site; None without frame-ancestors."""
    if csp is None or "frame-ancestors" not in csp.directives:
        return None
    return not (csp.directives["frame-ancestors"] & _CSP_BROAD)


# ---------------------------------------------------------------------------------------------
# One function per rule id, each returning its findings


def _rule_hsts(h: ResponseHeaders, policy: SecurityHeadersPolicy) -> list[HeaderFinding]:
    if not h.https:
        return []
    recommended = policy.hsts_recommended_age
    example = f"'Strict-Transport-Security: max-age={recommended}; includeSubDomains'"
    hsts = _parse_hsts(h.all("Strict-Transport-Security"))
    if hsts is None:
        return [HeaderFinding("hsts", "crit", f"Strict-Transport-Security is missing: add {example}")]
    if hsts.problem is not None or hsts.max_age is None:
        return [
            HeaderFinding(
                "hsts",
                "crit",
                f"Strict-Transport-Security {hsts.problem}: send exactly one valid header, e.g. {example}",
            )
        ]
    findings: list[HeaderFinding] = []
    if hsts.max_age < policy.hsts_min_age:
        findings.append(
            HeaderFinding(
                "hsts",
                "crit",
                f"Strict-Transport-Security max-age={hsts.max_age} is below {policy.hsts_min_age} "
                f"({policy.hsts_min_age // 86400} days): raise it to {recommended}",
            )
        )
    elif hsts.max_age < recommended:
        findings.append(
            HeaderFinding(
                "hsts",
                "warn",
                f"Strict-Transport-Security max-age={hsts.max_age} is below the recommended "
                f"{recommended} ({recommended // 86400} days): raise it to {recommended}",
            )
        )
    if not hsts.include_subdomains:
        findings.append(
            HeaderFinding(
                "hsts",
                "warn",
                "Strict-Transport-Security lacks includeSubDomains: subdomains stay reachable "
                "over plain HTTP; add it once every subdomain serves HTTPS",
            )
        )
    return findings


def _rule_csp(h: ResponseHeaders) -> list[HeaderFinding]:
    csp = h.csp
    if h.csp_error is not None:
        return [
            HeaderFinding(
                "csp",
                "crit",
                f"Content-Security-Policy cannot be parsed ({h.csp_error}), so it protects nothing: "
                "fix its syntax",
            )
        ]
    if csp is None or not csp.directives:
        if csp is not None:
            what = "has no directives"
        elif h.has("Content-Security-Policy-Report-Only"):
            what = "is only sent as Content-Security-Policy-Report-Only, which enforces nothing"
        else:
            what = "is missing"
        return [
            HeaderFinding("csp", "crit", f'Content-Security-Policy {what}: add e.g. "{_RECOMMENDED_CSP}"')
        ]
    findings: list[HeaderFinding] = []
    scripts = _script_sources(csp)
    if scripts is not None:
        unsafe = [k for k in ("'unsafe-inline'", "'unsafe-eval'") if k in scripts]
        if unsafe:
            where = "script-src" if "script-src" in csp.directives else "default-src (no script-src)"
            findings.append(
                HeaderFinding(
                    "csp",
                    "warn",
                    f"Content-Security-Policy {where} allows {' and '.join(unsafe)}: "
                    "use nonces or hashes and remove it",
                )
            )
    if "frame-ancestors" not in csp.directives and not h.has("X-Frame-Options"):
        findings.append(
            HeaderFinding(
                "csp",
                "warn",
                "Content-Security-Policy has no frame-ancestors directive and X-Frame-Options is "
                "absent: add \"frame-ancestors 'none'\" (or 'self')",
            )
        )
    return findings


def _rule_x_content_type_options(h: ResponseHeaders) -> list[HeaderFinding]:
    value = h.first("X-Content-Type-Options")
    if value is not None and value.strip().lower() == "nosniff":
        return []
    what = "is missing" if value is None else f"is {shown(value)}, not 'nosniff'"
    return [
        HeaderFinding(
            "x-content-type-options",
            "crit",
            f"X-Content-Type-Options {what}: send 'X-Content-Type-Options: nosniff'",
        )
    ]


def _rule_clickjacking(h: ResponseHeaders) -> list[HeaderFinding]:
    csp = h.csp
    via_csp = _frame_ancestors_protect(csp)
    fix = "add \"frame-ancestors 'none'\" (or 'self') to the Content-Security-Policy"
    if via_csp is False:
        sources = " ".join(sorted(csp.directives["frame-ancestors"])) if csp else ""
        return [
            HeaderFinding(
                "clickjacking",
                "crit",
                f"Content-Security-Policy frame-ancestors {shown(sources)} lets any site frame "
                f"this page (and overrides X-Frame-Options): {fix}",
            )
        ]
    if via_csp:
        return []
    xfo = h.first("X-Frame-Options")
    if xfo is not None and xfo.strip().lower() in ("deny", "sameorigin"):
        return []
    what = (
        "neither X-Frame-Options nor a Content-Security-Policy frame-ancestors directive is set"
        if xfo is None
        else f"X-Frame-Options {shown(xfo)} is not DENY or SAMEORIGIN and browsers ignore it"
    )
    return [
        HeaderFinding(
            "clickjacking",
            "crit",
            f"No clickjacking protection: {what}; {fix}, or send 'X-Frame-Options: DENY'",
        )
    ]


def _rule_referrer_policy(h: ResponseHeaders) -> list[HeaderFinding]:
    values = h.all("Referrer-Policy")
    policy = h.referrer_policy
    fix = "use 'strict-origin-when-cross-origin' (or 'no-referrer')"
    if policy is None:
        return [HeaderFinding("referrer-policy", "crit", f"Referrer-Policy is missing: {fix}")]
    if policy == "":
        quoted = shown(", ".join(values))
        return [
            HeaderFinding(
                "referrer-policy",
                "crit",
                f"Referrer-Policy {quoted} is not a recognized policy, so browsers use their default: {fix}",
            )
        ]
    if policy == "unsafe-url":
        return [
            HeaderFinding(
                "referrer-policy",
                "crit",
                "Referrer-Policy 'unsafe-url' sends full URLs (path and query) to every site, "
                f"even over plain HTTP: {fix}",
            )
        ]
    if policy in REFERRER_LEAKY:
        return [
            HeaderFinding(
                "referrer-policy",
                "warn",
                f"Referrer-Policy {policy!r} leaks the origin or URL to other sites or over "
                f"plain HTTP: {fix}",
            )
        ]
    return []


def _rule_info_leak(h: ResponseHeaders) -> list[HeaderFinding]:
    findings: list[HeaderFinding] = []
    for server in h.all("Server"):
        if _SERVER_VERSION.search(server):
            findings.append(
                HeaderFinding(
                    "info-leak",
                    "warn",
                    f"Server {shown(server)} discloses a version: send the product name only "
                    "(nginx: server_tokens off; Apache: ServerTokens Prod)",
                )
            )
    for name in _LEAKY_HEADERS:
        for value in h.all(name):
            findings.append(
                HeaderFinding(
                    "info-leak",
                    "warn",
                    f"{name} {shown(value)} discloses the software stack: remove the header",
                )
            )
    return findings


def _rule_cookies(h: ResponseHeaders) -> list[HeaderFinding]:
    https = h.https
    findings: list[HeaderFinding] = []
    for cookie in h.cookies:
        missing: list[str] = []
        if https and not cookie.secure:
            missing.append("Secure")
        if not cookie.httponly:
            missing.append("HttpOnly")
        if cookie.samesite is None:
            missing.append("SameSite")
        elif not samesite_valid(cookie.samesite):
            missing.append(f"a valid SameSite (got {shown(cookie.samesite, 20)})")
        if missing:
            name = repr(cookie.name) if cookie.name else "(unnamed)"
            findings.append(
                HeaderFinding(
                    "cookies",
                    "crit",
                    f"cookie {name} lacks {', '.join(missing)}: set it with "
                    f"'{'Secure; ' if https else ''}HttpOnly; SameSite=Lax' "
                    "(or Strict)",
                )
            )
    return findings


def _rule_required(h: ResponseHeaders, policy: SecurityHeadersPolicy) -> list[HeaderFinding]:
    findings: list[HeaderFinding] = []
    for name, pattern in policy.require.items():
        values = h.all(name)
        if not values:
            findings.append(HeaderFinding("required", "crit", f"required header {name} is missing: send it"))
        elif pattern is not None and not any(re.search(pattern, v, re.IGNORECASE) for v in values):
            findings.append(
                HeaderFinding(
                    "required",
                    "crit",
                    f"required header {name} does not match /{pattern}/: fix its value",
                )
            )
    return findings


def _rule_forbidden(h: ResponseHeaders, policy: SecurityHeadersPolicy) -> list[HeaderFinding]:
    return [
        HeaderFinding("forbidden", "crit", f"forbidden header {name} is present: remove it")
        for name in policy.forbid
        if h.has(name)
    ]


# ---------------------------------------------------------------------------------------------


def validate_rule_ids(ids: Iterable[str]) -> list[str]:
    """Return `ids` as a list; raise ValueError naming the valid ids if any is unknown."""
    ids = list(ids)
    unknown = [i for i in ids if i not in RULES]
    if unknown:
        raise ValueError(
            f"unknown security-header rule id(s) {', '.join(map(repr, unknown))}; "
            f"valid ids: {', '.join(RULES)}"
        )
    return ids


def baseline_findings(h: ResponseHeaders, policy: SecurityHeadersPolicy) -> list[HeaderFinding]:
    """The policy's findings in `RULES` order; relaxed rules yield none (unknown ids raise)."""
    relaxed = set(validate_rule_ids(policy.relax))
    findings: list[HeaderFinding] = []
    if policy.base == "baseline":
        findings += _rule_hsts(h, policy)
        findings += _rule_csp(h)
        findings += _rule_x_content_type_options(h)
        findings += _rule_clickjacking(h)
        findings += _rule_referrer_policy(h)
        findings += _rule_info_leak(h)
        findings += _rule_cookies(h)
    findings += _rule_required(h, policy)
    findings += _rule_forbidden(h, policy)
    return [f for f in findings if f.rule not in relaxed]
