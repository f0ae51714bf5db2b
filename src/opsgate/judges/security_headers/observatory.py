"""Mozilla HTTP Observatory score and grade of one response's headers.

opsgate follows the Observatory's scoring **algorithm version 6**, as in the
`mdn/mdn-http-observatory` repository at commit `UPSTREAM_COMMIT` (what the public service
runs; the npm package 1.4.8 still carries version 4, where X-Frame-Options DENY scores 0).
Each test below mirrors `src/analyzer/tests/<test>.js`, its result ids and modifiers are those
of `src/grader/charts.js`, and the score is `src/scanner/index.js`'s. The differential test
(`tests/judges/test_security_headers_observatory.py`) compares every test's result with the
upstream analyzer's over a corpus; docs/security-headers.md lists the intended differences:

* redirection and subresource-integrity need the http:// redirect chain and the HTML body:
  they are 0 lines "not evaluated (needs ...)";
* the HSTS preload list is not consulted (no +5 "preloaded"), the certificate is taken as
  valid (the TLS check judges it);
* CORS: one response cannot show that the request Origin is reflected (upstream -50): a
  credentialed specific origin is a 0 line whose reason starts with "warning:";
* cookies: names containing "sid", "auth" or "token" are session cookies too, "xsrf" marks
  an anti-CSRF cookie as "csrf" does, and on plain HTTP every cookie counts as set without
  Secure (browsers refuse Secure cookies from http:// pages);
* several CSP policies are intersected on exact sources (upstream also matches path prefixes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsgate.judges.security_headers.csp import Csp
from opsgate.judges.security_headers.headers import (
    REFERRER_LEAKY,
    REFERRER_PRIVATE,
    ResponseHeaders,
    samesite_valid,
    shown,
)

__all__ = ["ALGORITHM_VERSION", "UPSTREAM_COMMIT", "ScoreLine", "grade_for_score", "score", "score_lines"]

ALGORITHM_VERSION = 6
UPSTREAM_COMMIT = "94042bbfbf9f1af722ad9114ada6d271dcb525b9"

# Result id -> score modifier, as upstream's SCORE_TABLE (src/grader/charts.js).
MODIFIERS: dict[str, int] = {
    "csp-implemented-with-no-unsafe-default-src-none": 10,
    "csp-implemented-with-no-unsafe": 5,
    "csp-implemented-with-unsafe-inline-in-style-src-only": 0,
    "csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
    "csp-implemented-with-unsafe-eval": -10,
    "csp-implemented-with-unsafe-inline": -20,
    "csp-implemented-with-insecure-scheme": -20,
    "csp-header-invalid": -25,
    "csp-not-implemented": -25,
    "csp-not-implemented-but-reporting-enabled": -25,
    "csp-implemented-but-duplicate-directives": 0,
    "cookies-secure-with-httponly-sessions-and-samesite": 5,
    "cookies-secure-with-httponly-sessions": 0,
    "cookies-not-found": 0,
    "cookies-without-secure-flag-but-protected-by-hsts": -5,
    "cookies-session-without-secure-flag-but-protected-by-hsts": -10,
    "cookies-without-secure-flag": -20,
    "cookies-samesite-flag-invalid": -20,
    "cookies-anticsrf-without-samesite-flag": -20,
    "cookies-session-without-httponly-flag": -30,
    "cookies-session-without-secure-flag": -40,
    "cross-origin-resource-sharing-not-implemented": 0,
    "cross-origin-resource-sharing-implemented-with-public-access": 0,
    "cross-origin-resource-sharing-implemented-with-restricted-access": 0,
    "referrer-policy-private": 5,
    "referrer-policy-not-implemented": 0,
    "referrer-policy-unsafe": -5,
    "referrer-policy-header-invalid": -5,
    "hsts-implemented-max-age-at-least-six-months": 0,
    "hsts-implemented-max-age-less-than-six-months": -10,
    "hsts-not-implemented": -20,
    "hsts-header-invalid": -20,
    "hsts-not-implemented-no-https": -20,
    "x-content-type-options-nosniff": 0,
    "x-content-type-options-not-implemented": -5,
    "x-content-type-options-header-invalid": -5,
    "x-frame-options-implemented-via-csp": 5,
    "x-frame-options-sameorigin-or-deny": 5,
    "x-frame-options-allow-from-origin": 0,
    "x-frame-options-not-implemented": -20,
    "x-frame-options-header-invalid": -20,
    "corp-header-invalid": -5,
    "corp-implemented-with-cross-origin": 0,
    "corp-implemented-with-same-origin": 10,
    "corp-implemented-with-same-site": 10,
    "corp-not-implemented": 0,
    "coep-implemented-with-require-corp": 10,
    "coep-implemented-with-credentialless": 10,
    "coep-implemented-with-unsafe-none": 0,
    "coep-not-implemented": 0,
    "coep-header-invalid": -5,
    "coop-implemented-with-same-origin": 10,
    "coop-implemented-with-same-origin-allow-popups": 10,
    "coop-implemented-with-noopener-allow-popups": 10,
    "coop-implemented-with-unsafe-none": 0,
    "coop-not-implemented": 0,
    "coop-header-invalid": -5,
}


@dataclass(frozen=True)
class ScoreLine:
    """One Observatory test: its name, score modifier, why, and upstream's result id.

    `result` is None for a test opsgate does not evaluate from one response.
    """

    test: str
    modifier: int
    reason: str
    result: str | None


def _line(test: str, result: str, reason: str) -> ScoreLine:
    return ScoreLine(test, MODIFIERS[result], reason, result)


# ---------------------------------------------------------------------------------------------
# Content-Security-Policy (csp.js)

_BROAD = frozenset({"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"})
_BROAD_OR_INLINE = _BROAD | {"'unsafe-inline'", "data:"}
_NONCE_HASH = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
_PASSIVE = ("img-src", "media-src")
_INSECURE = ("http:", "ftp:")
_CSP_REASONS = {
    "csp-implemented-with-no-unsafe-default-src-none": "no unsafe sources, default-src 'none'",
    "csp-implemented-with-no-unsafe": "no unsafe sources",
    "csp-implemented-with-unsafe-inline-in-style-src-only": "unsafe sources in style-src only",
    "csp-implemented-with-insecure-scheme-in-passive-content-only":
        "allows images or media over http: on an HTTPS site",
    "csp-implemented-with-unsafe-eval": "allows 'unsafe-eval'",
    "csp-implemented-with-unsafe-inline":
        "unsafe-inline or data: in script-src, or broad script/object sources",
    "csp-implemented-with-insecure-scheme": "allows active content over http: on an HTTPS site",
    "csp-implemented-but-duplicate-directives": "report-uri/report-to appears twice (else passing)",
    "csp-header-invalid": "'strict-dynamic' without a nonce or hash",
}  # fmt: skip


def _has_nonce_or_hash(sources: set[str]) -> bool:
    return any(s.startswith(_NONCE_HASH) for s in sources)


def _csp_result(csp: Csp, https: bool) -> str:
    """Upstream's result ladder: the first problem found, in its order, decides."""
    d = {directive: set(sources) for directive, sources in csp.directives.items()}
    # script-, style- and object-src that fall back to default-src share that one set, as in
    # csp.js: pruning script sources for 'strict-dynamic' then prunes default-src for all.
    script = d.get("script-src") or d.get("default-src") or {"*"}
    style = d.get("style-src") or d.get("default-src") or {"*"}
    objects = d.get("object-src") or d.get("default-src") or {"*"}
    for sources in (script, style):
        if _has_nonce_or_hash(sources):  # CSP2 browsers ignore 'unsafe-inline' beside these
            sources.discard("'unsafe-inline'")
    result: str | None = None
    if "'strict-dynamic'" in script:
        if not _has_nonce_or_hash(script):
            result = "csp-header-invalid"
        else:  # 'strict-dynamic' makes browsers ignore host/scheme sources, 'self', 'unsafe-inline'
            script.difference_update(
                [s for s in script if s.startswith(tuple(_BROAD)) or s in ("'self'", "'unsafe-inline'")]
            )
    active = [s for k, v in d.items() if k not in (*_PASSIVE, "script-src") for s in v] + list(script)
    passive = [s for k in _PASSIVE for s in (d.get(k) or d.get("default-src") or ())]
    checks = (
        ("csp-implemented-with-unsafe-inline", bool(script & _BROAD_OR_INLINE or objects & _BROAD)),
        ("csp-implemented-with-insecure-scheme", https and any(s.startswith(_INSECURE) for s in active)),
        ("csp-implemented-with-unsafe-eval", "'unsafe-eval'" in script | style),
        (
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
            https and any(s.startswith(_INSECURE) for s in passive),
        ),
        ("csp-implemented-with-unsafe-inline-in-style-src-only", bool(style & _BROAD_OR_INLINE)),
        ("csp-implemented-with-no-unsafe-default-src-none", d.get("default-src") == {"'none'"}),
        ("csp-implemented-with-no-unsafe", True),
    )
    result = result or next(name for name, hit in checks if hit)
    passing = (
        "csp-implemented-with-no-unsafe",
        "csp-implemented-with-no-unsafe-default-src-none",
        "csp-implemented-with-unsafe-inline-in-style-src-only",
        "csp-implemented-with-insecure-scheme-in-passive-content-only",
    )
    if result in passing and csp.duplicate_reports:
        return "csp-implemented-but-duplicate-directives"
    return result


def _test_csp(h: ResponseHeaders) -> ScoreLine:
    name = "content-security-policy"
    if h.csp_error is not None:
        return _line(name, "csp-header-invalid", f"header cannot be parsed: {h.csp_error}")
    if h.csp is None or not h.csp.directives:
        if h.folded("Content-Security-Policy-Report-Only"):
            return _line(
                name,
                "csp-not-implemented-but-reporting-enabled",
                "only Content-Security-Policy-Report-Only is set, which enforces nothing",
            )
        return _line(name, "csp-not-implemented", "no Content-Security-Policy header")
    result = _csp_result(h.csp, h.https)
    return _line(name, result, _CSP_REASONS[result])


# ---------------------------------------------------------------------------------------------
# Cookies (cookies.js)

_SESSION_MARKERS = ("sess", "login", "sid", "auth", "token")
_CSRF_MARKERS = ("csrf", "xsrf")
_IGNORED_COOKIES = ("heroku-session-affinity",)
# Worst last, as upstream's `goodness` order; the worst problem of any cookie decides.
_COOKIE_LADDER = (
    ("cookies-without-secure-flag-but-protected-by-hsts", "cookie without Secure, but protected by HSTS"),
    ("cookies-without-secure-flag", "cookie without Secure or set over HTTP"),
    (
        "cookies-session-without-secure-flag-but-protected-by-hsts",
        "session cookie without Secure, but protected by HSTS",
    ),
    ("cookies-samesite-flag-invalid", "SameSite other than Strict or Lax (or None without Secure)"),
    ("cookies-anticsrf-without-samesite-flag", "anti-CSRF cookie without SameSite"),
    ("cookies-session-without-httponly-flag", "session cookie without HttpOnly"),
    ("cookies-session-without-secure-flag", "session cookie without Secure or set over HTTP"),
)


def _is_csrf_cookie(name: str) -> bool:
    return any(m in name.lower() for m in _CSRF_MARKERS)


def _is_session_cookie(name: str) -> bool:
    return not _is_csrf_cookie(name) and any(m in name.lower() for m in _SESSION_MARKERS)


def _test_cookies(h: ResponseHeaders, hsts_ok: bool) -> ScoreLine:
    name = "cookies"
    # A later Set-Cookie of the same name and scope replaces the earlier one, in browsers and in
    # upstream's cookie jar alike, so only the last counts.
    latest = {(c.name, c.scope): c for c in h.cookies if c.name and c.name not in _IGNORED_COOKIES}
    cookies = list(latest.values())
    if not cookies:
        return _line(name, "cookies-not-found", "no Set-Cookie header")
    # Upstream checks SameSite on every raw Set-Cookie, ignored cookies included.
    worst = 3 if any(c.samesite is not None and not samesite_valid(c.samesite) for c in h.cookies) else -1
    for c in cookies:
        secure = c.secure and h.https
        session = _is_session_cookie(c.name)
        hits = []
        if c.samesite is not None and c.samesite.lower() == "none" and not secure:
            hits.append(3)
        if not secure:
            hits.append(0 if hsts_ok else 1)
            if session:
                hits.append(2 if hsts_ok else 6)
        if _is_csrf_cookie(c.name) and not c.samesite:
            hits.append(4)
        if session and not c.httponly:
            hits.append(5)
        worst = max([worst, *hits])
    if worst >= 0:
        return _line(name, *_COOKIE_LADDER[worst])
    if any(not c.samesite for c in cookies):
        return _line(
            name,
            "cookies-secure-with-httponly-sessions",
            "Secure everywhere, HttpOnly sessions, but SameSite missing",
        )
    return _line(
        name,
        "cookies-secure-with-httponly-sessions-and-samesite",
        "Secure everywhere, HttpOnly sessions and SameSite",
    )


# ---------------------------------------------------------------------------------------------
# Cross-Origin-Embedder-Policy, -Opener-Policy (cross-origin-*-policy.js)

_COEP = {
    "require-corp": "coep-implemented-with-require-corp",
    "credentialless": "coep-implemented-with-credentialless",
    "unsafe-none": "coep-implemented-with-unsafe-none",
}
_COOP = {
    "same-origin": "coop-implemented-with-same-origin",
    "same-origin-allow-popups": "coop-implemented-with-same-origin-allow-popups",
    "noopener-allow-popups": "coop-implemented-with-noopener-allow-popups",
    "unsafe-none": "coop-implemented-with-unsafe-none",
}


def _structured_token(value: str) -> str | None:
    """The value's token if it parses as an RFC 9651 item whose bare item is a token.

    Browsers parse COOP and COEP this way (HTML standard): parameters such as report-to
    are allowed, a quoted string or a list is not a policy.
    """
    import http_sf  # lazily: only responses that send these headers need it

    try:
        item, _parameters = http_sf.parse(value.encode(), tltype="item")
    except (http_sf.StructuredFieldError, ValueError):
        return None
    return str(item) if isinstance(item, http_sf.Token) else None


def _test_policy_token(h: ResponseHeaders, header: str, results: dict[str, str], prefix: str) -> ScoreLine:
    name = header.lower()
    value = h.folded(header)
    if not value:
        return _line(name, f"{prefix}-not-implemented", f"no {header} header")
    token = _structured_token(value[:1024].strip())
    if token in results:
        return _line(name, results[token], token)
    return _line(name, f"{prefix}-header-invalid", f"header {shown(value)} cannot be recognized")


# ---------------------------------------------------------------------------------------------
# The single-header tests (cors.js, referrer-policy.js, strict-transport-security.js, ...)


def _test_cors(h: ResponseHeaders) -> ScoreLine:
    name = "cross-origin-resource-sharing"
    origin = h.folded("Access-Control-Allow-Origin")
    if not origin:
        return _line(
            name,
            "cross-origin-resource-sharing-not-implemented",
            "no Access-Control-Allow-Origin header (cross-origin reads not allowed)",
        )
    origin = origin[:256].strip().lower()
    if origin == "*":
        return _line(
            name, "cross-origin-resource-sharing-implemented-with-public-access", "public access (*)"
        )
    credentials = (h.folded("Access-Control-Allow-Credentials") or "").strip().lower()
    reason = f"restricted to {shown(origin)}"
    if credentials == "true":
        reason = (
            f"warning: {shown(origin)} allowed with credentials; if this is the request's "
            "Origin reflected, the Observatory scores -50 (needs a request with a foreign Origin)"
        )
    return _line(name, "cross-origin-resource-sharing-implemented-with-restricted-access", reason)


def _test_redirection() -> ScoreLine:
    return ScoreLine("redirection", 0, "not evaluated (needs the http:// to https:// redirect chain)", None)


def _test_referrer_policy(h: ResponseHeaders) -> ScoreLine:
    name = "referrer-policy"
    policy = h.referrer_policy
    if policy is None:
        return _line(
            name,
            "referrer-policy-not-implemented",
            "no Referrer-Policy header (browsers default to strict-origin-when-cross-origin)",
        )
    if policy in REFERRER_PRIVATE:
        return _line(name, "referrer-policy-private", f"private ({policy})")
    if policy in REFERRER_LEAKY:
        return _line(name, "referrer-policy-unsafe", f"unsafe ({policy})")
    return _line(name, "referrer-policy-header-invalid", "header cannot be recognized")


_SIX_MONTHS = 15_552_000  # upstream's "white lie" for 15768000
_JS_INT = re.compile(r"\s*([+-]?\d+)")


def _js_parse_int(text: str) -> int | None:
    """JavaScript's parseInt(text, 10): leading digits, None (NaN) when there are none."""
    match = _JS_INT.match(text)
    return int(match.group(1)) if match else None


def _test_hsts(h: ResponseHeaders) -> ScoreLine:
    """Upstream's reading, which differs from browsers' (the baseline `hsts` rule judges those).

    Only `max-age=` without spaces counts; its value is read as parseInt does, so trailing
    junk is ignored and a value with no leading digits (NaN) passes as "six months or more".
    """
    name = "strict-transport-security"
    if not h.https:
        return _line(
            name, "hsts-not-implemented-no-https", "cannot be set: the site is served over plain HTTP"
        )
    value = h.folded("Strict-Transport-Security")
    if value is None:
        return _line(name, "hsts-not-implemented", "no Strict-Transport-Security header")
    value = value[:1024]
    if "," in value:
        return _line(name, "hsts-header-invalid", "header invalid: set more than once")
    directives = [d.strip().lower() for d in value.split(";")]
    ages = [_js_parse_int(d[len("max-age=") : 128]) for d in directives if d.startswith("max-age=")]
    if not ages:
        return _line(name, "hsts-header-invalid", "header invalid: no max-age=N directive")
    max_age = ages[-1]
    if max_age is not None and max_age < _SIX_MONTHS:
        return _line(
            name,
            "hsts-implemented-max-age-less-than-six-months",
            f"max-age={max_age} is less than six months",
        )
    shown_age = "not a number (passes upstream)" if max_age is None else str(max_age)
    return _line(
        name,
        "hsts-implemented-max-age-at-least-six-months",
        f"max-age={shown_age}, at least six months (preload list not consulted)",
    )


def _test_sri() -> ScoreLine:
    return ScoreLine("subresource-integrity", 0, "not evaluated (needs the HTML body and its scripts)", None)


def _test_x_content_type_options(h: ResponseHeaders) -> ScoreLine:
    name = "x-content-type-options"
    value = h.folded("X-Content-Type-Options")
    if not value:
        return _line(name, "x-content-type-options-not-implemented", "no X-Content-Type-Options header")
    if value[:256].strip().lower() == "nosniff":
        return _line(name, "x-content-type-options-nosniff", "nosniff")
    return _line(name, "x-content-type-options-header-invalid", "header cannot be recognized")


def _test_x_frame_options(h: ResponseHeaders) -> ScoreLine:
    name = "x-frame-options"
    if h.csp is not None and "frame-ancestors" in h.csp.directives:
        return _line(name, "x-frame-options-implemented-via-csp", "implemented via CSP frame-ancestors")
    value = h.folded("X-Frame-Options")
    if not value:
        return _line(
            name,
            "x-frame-options-not-implemented",
            "no X-Frame-Options header and no CSP frame-ancestors directive",
        )
    xfo = value[:1024].strip().lower()
    if xfo in ("deny", "sameorigin"):
        return _line(name, "x-frame-options-sameorigin-or-deny", xfo.upper())
    if xfo.startswith("allow-from"):
        return _line(name, "x-frame-options-allow-from-origin", "ALLOW-FROM")
    return _line(name, "x-frame-options-header-invalid", "header cannot be recognized")


def _test_corp(h: ResponseHeaders) -> ScoreLine:
    name = "cross-origin-resource-policy"
    value = h.folded("Cross-Origin-Resource-Policy")
    if not value:
        return _line(
            name,
            "corp-not-implemented",
            "no Cross-Origin-Resource-Policy header (browsers default to cross-origin)",
        )
    corp = value[:256].strip().lower()
    results = {
        "same-origin": "corp-implemented-with-same-origin",
        "same-site": "corp-implemented-with-same-site",
        "cross-origin": "corp-implemented-with-cross-origin",
    }
    if corp in results:
        return _line(name, results[corp], corp)
    return _line(name, "corp-header-invalid", f"header {shown(corp)} cannot be recognized")


# ---------------------------------------------------------------------------------------------
# Score and grade (scanner/index.js, grader.js)

_GRADE_CHART: dict[int, str] = {
    100: "A+", 95: "A", 90: "A", 85: "A-", 80: "B+", 75: "B", 70: "B", 65: "B-", 60: "C+",
    55: "C", 50: "C", 45: "C-", 40: "D+", 35: "D", 30: "D", 25: "D-",
}  # fmt: skip
_EXTRA_CREDIT_MINIMUM = 90


def score_lines(h: ResponseHeaders) -> list[ScoreLine]:
    """Every Observatory test's line, in upstream's order (ALL_TESTS in src/constants.js)."""
    hsts = _test_hsts(h)
    return [
        _test_csp(h),
        _test_cookies(h, hsts_ok=hsts.result == "hsts-implemented-max-age-at-least-six-months"),
        _test_policy_token(h, "Cross-Origin-Embedder-Policy", _COEP, "coep"),
        _test_policy_token(h, "Cross-Origin-Opener-Policy", _COOP, "coop"),
        _test_cors(h),
        _test_redirection(),
        _test_referrer_policy(h),
        hsts,
        _test_sri(),
        _test_x_content_type_options(h),
        _test_x_frame_options(h),
        _test_corp(h),
    ]


def score(lines: list[ScoreLine]) -> int:
    """Observatory score: bonuses count only when the penalties alone leave at least 90."""
    uncurved = 100 + sum(line.modifier for line in lines if line.modifier < 0)
    total = 100 + sum(line.modifier for line in lines)
    return max(total if uncurved >= _EXTRA_CREDIT_MINIMUM else uncurved, 0)


def grade_for_score(points: int) -> str:
    """Observatory grade: score rounded down to a multiple of 5, capped at 100; below 25 is F."""
    bucket = min(max(points, 0) // 5 * 5, 100)
    return _GRADE_CHART.get(bucket, "F")
