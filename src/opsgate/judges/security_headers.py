"""Security-header assessment of one HTTP response: baseline findings and an Observatory grade.

Pure and pytest-free: `assess()` takes the raw response header list and a
`SecurityHeadersPolicy`, and returns an `Assessment` with

* `findings` -- what the profile's policy judges (crit/warn), one stable rule id each
  (see `RULES`); baseline rules follow the OWASP Secure Headers Project and check_ssl_cert's
  `--check-http-headers`, adjusted by the policy's `require`, `forbid` and `relax`;
* `score`, `grade`, `breakdown` -- the Mozilla HTTP Observatory score of the same headers,
  independent of the policy (a relaxed rule still costs Observatory points, as it would on
  observatory.mozilla.org). The caller compares `grade` with `policy.min_grade` through
  `grade_at_least()`.

Observatory tests evaluated from one response (modifiers as in `mdn/mdn-http-observatory`,
`src/grader/charts.js`, logic as in `src/analyzer/tests/*.js`):

* content-security-policy: full result ladder (-25 missing/invalid/report-only, -20 unsafe
  inline or broad script/object sources, -20 http:/ftp: active sources on HTTPS, -10
  'unsafe-eval', -10 http: passive sources on HTTPS, 0 unsafe style only, +5 no unsafe, +10
  `default-src 'none'`). The +10 is granted as the Observatory code grants it: on
  `default-src 'none'` alone (its description also mentions form-action, its code does not
  check it). Several policies are combined by exact-source intersection (the Observatory
  also matches path prefixes).
* cookies: worst result over the Set-Cookie headers of this response. A *session cookie* is
  one whose lower-cased name contains "sess", "login", "sid", "auth" or "token" (the
  Observatory uses only "sess" and "login"; the extra markers catch `PHPSESSID`-like, `sid`,
  `auth_token`, `jwt_token` names) unless it contains "csrf"/"xsrf" (anti-CSRF cookies are
  read by scripts, so they are judged as anti-CSRF tokens, not session cookies). Cookies
  named `heroku-session-affinity` are ignored, as by the Observatory. On plain HTTP every
  cookie counts as "set over HTTP", i.e. without Secure.
* cross-origin-resource-sharing: `*` -> 0; no header -> 0. A specific origin with
  `Access-Control-Allow-Credentials: true` scores -50 in the Observatory only when the origin
  is the *reflected* request Origin, which one response cannot prove: it is recorded as a
  0 line whose reason starts with "warning:".
* referrer-policy, x-content-type-options, x-frame-options (+5 via CSP frame-ancestors),
  cross-origin-resource-policy: exactly as the Observatory.
* strict-transport-security: on HTTPS as the Observatory (the HSTS preload list is not
  consulted, so no +5 "preloaded"; the certificate is assumed valid). On plain HTTP the test
  scores -20, the Observatory's `hsts-not-implemented-no-https`: a target configured as
  http:// is judged as a site not available over HTTPS.
* redirection, subresource-integrity: not evaluable from one response's headers; recorded as
  0 lines "not evaluated (needs ...)".

Findings never quote a cookie value, nor the value of a `require`d/`forbid`den header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from opsgate.targets.http import GRADES, HttpTarget, SecurityHeadersPolicy

if TYPE_CHECKING:
    from opsgate.probes.http import HttpResponse
    from opsgate.verdict import Verdict

__all__ = [
    "RULES",
    "Assessment",
    "HeaderFinding",
    "ScoreLine",
    "assess",
    "grade_at_least",
    "grade_for_score",
    "judge_security_headers",
    "validate_rule_ids",
]

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
class ScoreLine:
    """One Observatory test's result: its name, its score modifier and why."""

    test: str
    modifier: int
    reason: str


@dataclass(frozen=True)
class Assessment:
    """Findings under the policy, plus the Observatory score, grade and per-test breakdown."""

    findings: list[HeaderFinding]
    score: int
    grade: str
    breakdown: list[ScoreLine]

    def breakdown_table(self) -> str:
        """The breakdown as an aligned plain-text table, ending with the score and grade."""
        width = max([len("test"), *(len(line.test) for line in self.breakdown)])
        rows = [f"{'test':<{width}}  {'modifier':>8}  reason"]
        for line in self.breakdown:
            modifier = f"{line.modifier:+d}" if line.modifier else "0"
            rows.append(f"{line.test:<{width}}  {modifier:>8}  {line.reason}")
        rows.append(f"score {self.score}, grade {self.grade}")
        return "\n".join(rows)


# ---------------------------------------------------------------------------------------------
# Header access


class _Headers:
    """Case-insensitive multi-valued view of a raw header list."""

    def __init__(self, headers: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in headers:
            self._values.setdefault(name.strip().lower(), []).append(value)

    def all(self, name: str) -> list[str]:
        return self._values.get(name.lower(), [])

    def first(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def has(self, name: str) -> bool:
        return name.lower() in self._values


def _shown(value: str, limit: int = 80) -> str:
    """A header value quoted for a message, shortened so hostile headers stay readable."""
    value = value.strip()
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


# ---------------------------------------------------------------------------------------------
# Parsers


class _CspError(ValueError):
    """The Content-Security-Policy cannot be parsed (Observatory: csp-header-invalid)."""


_CSP_SHORTEST_POLICY = len("img-src") - 1
_CSP_ALLOWED_DUPLICATES = frozenset({"report-uri", "report-to"})


@dataclass(frozen=True)
class _Csp:
    """Parsed CSP: directive -> lower-cased sources, plus duplicate report directives."""

    directives: dict[str, frozenset[str]]
    duplicate_reports: bool


def _parse_csp_policy(policy: str) -> tuple[dict[str, frozenset[str]], bool]:
    policy = policy.replace("\r", "").replace("\n", "").strip()
    if len(policy) < _CSP_SHORTEST_POLICY:
        raise _CspError(f"policy {_shown(policy)} is too short to hold a directive")
    directives: dict[str, frozenset[str]] = {}
    duplicate_reports = False
    for entry in policy.split(";"):
        tokens = entry.split()
        if not tokens:
            continue
        directive, sources = tokens[0].lower(), [s.lower() for s in tokens[1:]]
        if directive in directives:
            if directive not in _CSP_ALLOWED_DUPLICATES:
                raise _CspError(f"directive {directive} appears twice")
            duplicate_reports = True
            continue
        if not sources and directive.endswith("-src"):
            sources = ["'none'"]
        directives[directive] = frozenset(sources)
    return directives, duplicate_reports


def _parse_csp(values: list[str]) -> _Csp | None:
    """Parse every CSP header value (comma-separated policies); None when there is none.

    Several policies all apply, so a directive present in several keeps the sources common
    to all; a directive first appearing in a later policy keeps none (Observatory behaviour).
    Raises `_CspError` on a policy that cannot be parsed.
    """
    policies = [p for value in values for p in value.split(",")]
    if not policies:
        return None
    merged: dict[str, frozenset[str]] = {}
    duplicate_reports = False
    for index, policy in enumerate(policies):
        directives, duplicates = _parse_csp_policy(policy)
        duplicate_reports = duplicate_reports or duplicates
        for directive, sources in directives.items():
            if index == 0:
                merged[directive] = sources
            else:
                common = merged.get(directive, frozenset()) & sources
                merged[directive] = common or frozenset({"'none'"})
    return _Csp(merged, duplicate_reports)


@dataclass(frozen=True)
class _Cookie:
    """A Set-Cookie header's name and attributes; the value is deliberately not kept."""

    name: str
    secure: bool
    httponly: bool
    samesite: str | None  # raw attribute value, "" when given without a value


def _parse_set_cookie(header: str) -> _Cookie:
    pair, *attributes = header.split(";")
    name = pair.split("=", 1)[0].strip() if "=" in pair else ""
    secure = httponly = False
    samesite: str | None = None
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        key = key.strip().lower()
        if key == "secure":
            secure = True
        elif key == "httponly":
            httponly = True
        elif key == "samesite":
            samesite = value.strip()
    return _Cookie(name, secure, httponly, samesite)


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
                problem = f"has an invalid max-age {_shown(value)}"
        elif key == "includesubdomains":
            include_subdomains = True
    if problem is None and max_age is None:
        problem = "has no max-age directive"
    return _Hsts(max_age, include_subdomains, problem)


# ---------------------------------------------------------------------------------------------
# Shared definitions

_REFERRER_PRIVATE = (
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
)
_REFERRER_LEAKY = ("origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade")
_CSP_BROAD = frozenset(
    {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
)
_CSP_UNSAFE_INLINE = frozenset({"'unsafe-inline'", "data:"})
_CSP_NONCE_HASH = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
_LEAKY_HEADERS = ("X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version")
_SERVER_VERSION = re.compile(r"\d+\.\d+|/\s*v?\d")
_SESSION_MARKERS = ("sess", "login", "sid", "auth", "token")
_CSRF_MARKERS = ("csrf", "xsrf")
_IGNORED_COOKIES = ("heroku-session-affinity",)
_OBSERVATORY_SIX_MONTHS = 15_552_000  # the Observatory's "white lie" for 15768000
_RECOMMENDED_CSP = "default-src 'self'; object-src 'none'; frame-ancestors 'none'"


def _referrer_policy(values: list[str]) -> str | None:
    """The effective policy: the last recognized token of all values; "" if none recognized."""
    if not values:
        return None
    tokens = [t.strip().lower() for v in values for t in v.split(",")]
    known = [t for t in tokens if t in _REFERRER_PRIVATE + _REFERRER_LEAKY]
    return known[-1] if known else ""


def _script_sources(csp: _Csp) -> frozenset[str] | None:
    """script-src (else default-src) with 'unsafe-inline' dropped when a nonce/hash is present.

    Browsers supporting nonces/hashes ignore 'unsafe-inline' beside them (the CSP2
    backwards-compatible pattern), and so does the Observatory.
    """
    sources = csp.directives.get("script-src", csp.directives.get("default-src"))
    if sources is None:
        return None
    if any(s.startswith(_CSP_NONCE_HASH) for s in sources):
        sources = sources - {"'unsafe-inline'"}
    return sources


def _frame_ancestors_protect(csp: _Csp | None) -> bool | None:
    """Whether CSP frame-ancestors forbids framing by any site; None without frame-ancestors."""
    if csp is None or "frame-ancestors" not in csp.directives:
        return None
    return not (csp.directives["frame-ancestors"] & _CSP_BROAD)


def _is_session_cookie(name: str) -> bool:
    lowered = name.lower()
    return not _is_csrf_cookie(name) and any(m in lowered for m in _SESSION_MARKERS)


def _is_csrf_cookie(name: str) -> bool:
    return any(m in name.lower() for m in _CSRF_MARKERS)


def _samesite_valid(samesite: str | None) -> bool:
    return samesite is not None and samesite.lower() in ("strict", "lax", "none")


# ---------------------------------------------------------------------------------------------
# Baseline rules: one function per rule id, each returning its findings


def _rule_hsts(h: _Headers, policy: SecurityHeadersPolicy, https: bool) -> list[HeaderFinding]:
    if not https:
        return []
    recommended = policy.hsts_recommended_age
    example = f"'Strict-Transport-Security: max-age={recommended}; includeSubDomains'"
    hsts = _parse_hsts(h.all("Strict-Transport-Security"))
    if hsts is None:
        return [
            HeaderFinding("hsts", "crit", f"Strict-Transport-Security is missing: add {example}")
        ]
    if hsts.problem is not None or hsts.max_age is None:
        return [
            HeaderFinding(
                "hsts",
                "crit",
                f"Strict-Transport-Security {hsts.problem}: send exactly one valid header, "
                f"e.g. {example}",
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


def _rule_csp(h: _Headers) -> list[HeaderFinding]:
    try:
        csp = _parse_csp(h.all("Content-Security-Policy"))
    except _CspError as exc:
        return [
            HeaderFinding(
                "csp",
                "crit",
                f"Content-Security-Policy cannot be parsed ({exc}), so it protects nothing: "
                "fix its syntax",
            )
        ]
    if csp is None:
        only_reporting = h.has("Content-Security-Policy-Report-Only")
        what = (
            "is only sent as Content-Security-Policy-Report-Only, which enforces nothing"
            if only_reporting
            else "is missing"
        )
        return [
            HeaderFinding(
                "csp", "crit", f'Content-Security-Policy {what}: add e.g. "{_RECOMMENDED_CSP}"'
            )
        ]
    findings: list[HeaderFinding] = []
    scripts = _script_sources(csp)
    if scripts is not None:
        unsafe = [k for k in ("'unsafe-inline'", "'unsafe-eval'") if k in scripts]
        if unsafe:
            where = (
                "script-src" if "script-src" in csp.directives else "default-src (no script-src)"
            )
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


def _rule_x_content_type_options(h: _Headers) -> list[HeaderFinding]:
    value = h.first("X-Content-Type-Options")
    if value is not None and value.strip().lower() == "nosniff":
        return []
    what = "is missing" if value is None else f"is {_shown(value)}, not 'nosniff'"
    return [
        HeaderFinding(
            "x-content-type-options",
            "crit",
            f"X-Content-Type-Options {what}: send 'X-Content-Type-Options: nosniff'",
        )
    ]


def _rule_clickjacking(h: _Headers) -> list[HeaderFinding]:
    try:
        csp = _parse_csp(h.all("Content-Security-Policy"))
    except _CspError:
        csp = None
    via_csp = _frame_ancestors_protect(csp)
    fix = "add \"frame-ancestors 'none'\" (or 'self') to the Content-Security-Policy"
    if via_csp is False:
        sources = " ".join(sorted(csp.directives["frame-ancestors"])) if csp else ""
        return [
            HeaderFinding(
                "clickjacking",
                "crit",
                f"Content-Security-Policy frame-ancestors {_shown(sources)} lets any site frame "
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
        else f"X-Frame-Options {_shown(xfo)} is not DENY or SAMEORIGIN and browsers ignore it"
    )
    return [
        HeaderFinding(
            "clickjacking",
            "crit",
            f"No clickjacking protection: {what}; {fix}, or send 'X-Frame-Options: DENY'",
        )
    ]


def _rule_referrer_policy(h: _Headers) -> list[HeaderFinding]:
    values = h.all("Referrer-Policy")
    policy = _referrer_policy(values)
    fix = "use 'strict-origin-when-cross-origin' (or 'no-referrer')"
    if policy is None:
        return [HeaderFinding("referrer-policy", "crit", f"Referrer-Policy is missing: {fix}")]
    if policy == "":
        shown = _shown(", ".join(values))
        return [
            HeaderFinding(
                "referrer-policy",
                "crit",
                f"Referrer-Policy {shown} is not a recognized policy, so browsers use their "
                f"default: {fix}",
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
    if policy in _REFERRER_LEAKY:
        return [
            HeaderFinding(
                "referrer-policy",
                "warn",
                f"Referrer-Policy {policy!r} leaks the origin or URL to other sites or over "
                f"plain HTTP: {fix}",
            )
        ]
    return []


def _rule_info_leak(h: _Headers) -> list[HeaderFinding]:
    findings: list[HeaderFinding] = []
    for server in h.all("Server"):
        if _SERVER_VERSION.search(server):
            findings.append(
                HeaderFinding(
                    "info-leak",
                    "warn",
                    f"Server {_shown(server)} discloses a version: send the product name only "
                    "(nginx: server_tokens off; Apache: ServerTokens Prod)",
                )
            )
    for name in _LEAKY_HEADERS:
        for value in h.all(name):
            findings.append(
                HeaderFinding(
                    "info-leak",
                    "warn",
                    f"{name} {_shown(value)} discloses the software stack: remove the header",
                )
            )
    return findings


def _rule_cookies(h: _Headers, https: bool) -> list[HeaderFinding]:
    findings: list[HeaderFinding] = []
    for header in h.all("Set-Cookie"):
        cookie = _parse_set_cookie(header)
        missing: list[str] = []
        if https and not cookie.secure:
            missing.append("Secure")
        if not cookie.httponly:
            missing.append("HttpOnly")
        if cookie.samesite is None:
            missing.append("SameSite")
        elif not _samesite_valid(cookie.samesite):
            missing.append(f"a valid SameSite (got {_shown(cookie.samesite, 20)})")
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


def _rule_required(h: _Headers, policy: SecurityHeadersPolicy) -> list[HeaderFinding]:
    findings: list[HeaderFinding] = []
    for name, pattern in policy.require.items():
        values = h.all(name)
        if not values:
            findings.append(
                HeaderFinding("required", "crit", f"required header {name} is missing: send it")
            )
        elif pattern is not None and not any(re.search(pattern, v, re.IGNORECASE) for v in values):
            findings.append(
                HeaderFinding(
                    "required",
                    "crit",
                    f"required header {name} does not match /{pattern}/: fix its value",
                )
            )
    return findings


def _rule_forbidden(h: _Headers, policy: SecurityHeadersPolicy) -> list[HeaderFinding]:
    return [
        HeaderFinding("forbidden", "crit", f"forbidden header {name} is present: remove it")
        for name in policy.forbid
        if h.has(name)
    ]


# ---------------------------------------------------------------------------------------------
# Observatory tests: one function per test, each returning its score line


def _test_csp(h: _Headers, https: bool) -> ScoreLine:
    name = "content-security-policy"
    try:
        csp = _parse_csp(h.all("Content-Security-Policy"))
    except _CspError as exc:
        return ScoreLine(name, -25, f"header cannot be parsed: {exc}")
    if csp is None:
        if h.has("Content-Security-Policy-Report-Only"):
            return ScoreLine(name, -25, "only Content-Security-Policy-Report-Only is set")
        return ScoreLine(name, -25, "not implemented")
    d = csp.directives
    star = frozenset({"*"})
    script = set(d.get("script-src") or d.get("default-src") or star)
    style = set(d.get("style-src") or d.get("default-src") or star)
    objects = d.get("object-src") or d.get("default-src") or star
    for sources in (script, style):
        if any(s.startswith(_CSP_NONCE_HASH) for s in sources):
            sources.discard("'unsafe-inline'")
    if "'strict-dynamic'" in script:
        if not any(s.startswith(_CSP_NONCE_HASH) for s in script):
            return ScoreLine(name, -25, "'strict-dynamic' without a nonce or hash")
        script = {
            s
            for s in script
            if s not in ("'self'", "'unsafe-inline'")
            and not any(s.startswith(b) for b in _CSP_BROAD)
        }
    active = [s for k, v in d.items() if k not in ("img-src", "media-src", "script-src") for s in v]
    active += script
    passive = [
        s for k in ("img-src", "media-src") for s in (d.get(k) or d.get("default-src") or ())
    ]
    insecure = ("http:", "ftp:")
    if script & (_CSP_BROAD | _CSP_UNSAFE_INLINE) or objects & _CSP_BROAD:
        return ScoreLine(
            name, -20, "unsafe-inline or data: in script-src, or broad script/object sources"
        )
    if https and any(s.startswith(insecure) for s in active):
        return ScoreLine(name, -20, "allows active content over http: on an HTTPS site")
    if "'unsafe-eval'" in script | style:
        return ScoreLine(name, -10, "allows 'unsafe-eval'")
    if https and any(s.startswith(insecure) for s in passive):
        modifier, reason = -10, "allows images or media over http: on an HTTPS site"
    elif style & (_CSP_BROAD | _CSP_UNSAFE_INLINE):
        modifier, reason = 0, "unsafe sources in style-src only"
    elif d.get("default-src") == frozenset({"'none'"}):
        modifier, reason = 10, "no unsafe sources, default-src 'none'"
    else:
        modifier, reason = 5, "no unsafe sources"
    if csp.duplicate_reports:
        return ScoreLine(name, 0, f"{reason}, but report-uri/report-to appears twice")
    return ScoreLine(name, modifier, reason)


def _test_cookies(h: _Headers, https: bool, hsts_ok: bool) -> ScoreLine:
    name = "cookies"
    # (modifier, reason), best to worst as in the Observatory's `goodness` order
    ladder = [
        (-5, "cookie without Secure, but protected by HSTS"),
        (-20, "cookie without Secure or set over HTTP"),
        (-10, "session cookie without Secure, but protected by HSTS"),
        (-20, "SameSite other than Strict or Lax (or None without Secure)"),
        (-20, "anti-CSRF cookie without SameSite"),
        (-30, "session cookie without HttpOnly"),
        (-40, "session cookie without Secure or set over HTTP"),
    ]
    worst = -1
    cookies = [_parse_set_cookie(v) for v in h.all("Set-Cookie")]
    cookies = [c for c in cookies if c.name and c.name not in _IGNORED_COOKIES]
    if not cookies:
        return ScoreLine(name, 0, "no cookies set")
    for c in cookies:
        secure = c.secure and https
        session = _is_session_cookie(c.name)
        hits = []
        if c.samesite is not None and not _samesite_valid(c.samesite):
            hits.append(3)
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
        return ScoreLine(name, *ladder[worst])
    if any(not c.samesite for c in cookies):
        return ScoreLine(name, 0, "Secure everywhere, HttpOnly sessions, but SameSite missing")
    return ScoreLine(name, 5, "Secure everywhere, HttpOnly sessions and SameSite")


def _test_cors(h: _Headers) -> ScoreLine:
    name = "cross-origin-resource-sharing"
    origin = h.first("Access-Control-Allow-Origin")
    if origin is None:
        return ScoreLine(name, 0, "not implemented")
    origin = origin.strip().lower()
    if origin == "*":
        return ScoreLine(name, 0, "public access (*)")
    credentials = (h.first("Access-Control-Allow-Credentials") or "").strip().lower()
    if credentials == "true":
        return ScoreLine(
            name,
            0,
            f"warning: {_shown(origin)} allowed with credentials; if this is the request's "
            "Origin reflected, the Observatory scores -50 (needs a request with a foreign Origin)",
        )
    return ScoreLine(name, 0, f"restricted to {_shown(origin)}")


def _test_redirection() -> ScoreLine:
    return ScoreLine(
        "redirection", 0, "not evaluated (needs the http:// to https:// redirect chain)"
    )


def _test_referrer_policy(h: _Headers) -> ScoreLine:
    name = "referrer-policy"
    policy = _referrer_policy(h.all("Referrer-Policy"))
    if policy is None:
        return ScoreLine(name, 0, "not implemented")
    if policy in _REFERRER_PRIVATE:
        return ScoreLine(name, 5, f"private ({policy})")
    if policy in _REFERRER_LEAKY:
        return ScoreLine(name, -5, f"unsafe ({policy})")
    return ScoreLine(name, -5, "header cannot be recognized")


def _test_hsts(h: _Headers, https: bool) -> ScoreLine:
    name = "strict-transport-security"
    if not https:
        return ScoreLine(name, -20, "cannot be set: the site is served over plain HTTP")
    hsts = _parse_hsts(h.all("Strict-Transport-Security"))
    if hsts is None:
        return ScoreLine(name, -20, "not implemented")
    if hsts.problem is not None or hsts.max_age is None:
        return ScoreLine(name, -20, f"header invalid: {hsts.problem}")
    if hsts.max_age < _OBSERVATORY_SIX_MONTHS:
        return ScoreLine(name, -10, f"max-age={hsts.max_age} is less than six months")
    return ScoreLine(
        name, 0, f"max-age={hsts.max_age}, at least six months (preload list not consulted)"
    )


def _test_sri() -> ScoreLine:
    return ScoreLine(
        "subresource-integrity", 0, "not evaluated (needs the HTML body and its scripts)"
    )


def _test_x_content_type_options(h: _Headers) -> ScoreLine:
    name = "x-content-type-options"
    value = h.first("X-Content-Type-Options")
    if value is None:
        return ScoreLine(name, -5, "not implemented")
    if value.strip().lower() == "nosniff":
        return ScoreLine(name, 0, "nosniff")
    return ScoreLine(name, -5, "header cannot be recognized")


def _test_x_frame_options(h: _Headers) -> ScoreLine:
    name = "x-frame-options"
    try:
        csp = _parse_csp(h.all("Content-Security-Policy"))
    except _CspError:
        csp = None
    if csp is not None and "frame-ancestors" in csp.directives:
        return ScoreLine(name, 5, "implemented via CSP frame-ancestors")
    value = h.first("X-Frame-Options")
    if value is None:
        return ScoreLine(name, -20, "not implemented")
    xfo = value.strip().lower()
    if xfo in ("deny", "sameorigin"):
        return ScoreLine(name, 0, xfo.upper())
    if xfo.startswith("allow-from"):
        return ScoreLine(name, 0, "ALLOW-FROM")
    return ScoreLine(name, -20, "header cannot be recognized")


def _test_corp(h: _Headers) -> ScoreLine:
    name = "cross-origin-resource-policy"
    value = h.first("Cross-Origin-Resource-Policy")
    if value is None:
        return ScoreLine(name, 0, "not implemented (defaults to cross-origin)")
    corp = value.strip().lower()
    if corp in ("same-origin", "same-site"):
        return ScoreLine(name, 10, corp)
    if corp == "cross-origin":
        return ScoreLine(name, 0, corp)
    return ScoreLine(name, -5, "header cannot be recognized")


# ---------------------------------------------------------------------------------------------
# Scoring and grades

_GRADE_CHART: dict[int, str] = {
    100: "A+", 95: "A", 90: "A", 85: "A-", 80: "B+", 75: "B", 70: "B", 65: "B-", 60: "C+",
    55: "C", 50: "C", 45: "C-", 40: "D+", 35: "D", 30: "D", 25: "D-",
}  # fmt: skip
_EXTRA_CREDIT_MINIMUM = 90


def _score(lines: list[ScoreLine]) -> int:
    """Observatory score: bonuses count only when the penalties alone leave at least 90."""
    uncurved = 100 + sum(line.modifier for line in lines if line.modifier < 0)
    total = 100 + sum(line.modifier for line in lines)
    return max(total if uncurved >= _EXTRA_CREDIT_MINIMUM else uncurved, 0)


def grade_for_score(score: int) -> str:
    """Observatory grade: score rounded down to a multiple of 5, capped at 100; below 25 is F."""
    bucket = min(max(score, 0) // 5 * 5, 100)
    return _GRADE_CHART.get(bucket, "F")


def grade_at_least(grade: str, minimum: str) -> bool:
    """Whether `grade` is `minimum` or better (A+ > A > A- > ... > F); unknown grades raise."""
    for g in (grade, minimum):
        if g not in GRADES:
            raise ValueError(f"unknown grade {g!r}; valid grades: {', '.join(GRADES)}")
    return GRADES.index(grade) <= GRADES.index(minimum)


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


def assess(
    headers: list[tuple[str, str]], *, https: bool, policy: SecurityHeadersPolicy
) -> Assessment:
    """Judge one response's headers under `policy` and grade them as the Observatory would.

    `headers` is the raw list (names case-insensitive, repeated headers repeated). Findings
    come in `RULES` order; rules in `policy.relax` yield none (unknown ids raise ValueError).
    With `policy.base == "none"` only `require` and `forbid` are judged. The score and
    breakdown do not depend on the policy.
    """
    relaxed = set(validate_rule_ids(policy.relax))
    h = _Headers(headers)
    findings: list[HeaderFinding] = []
    if policy.base == "baseline":
        findings += _rule_hsts(h, policy, https)
        findings += _rule_csp(h)
        findings += _rule_x_content_type_options(h)
        findings += _rule_clickjacking(h)
        findings += _rule_referrer_policy(h)
        findings += _rule_info_leak(h)
        findings += _rule_cookies(h, https)
    findings += _rule_required(h, policy)
    findings += _rule_forbidden(h, policy)
    findings = [f for f in findings if f.rule not in relaxed]

    hsts_line = _test_hsts(h, https)
    breakdown = [
        _test_csp(h, https),
        _test_cookies(h, https, hsts_ok=https and hsts_line.modifier == 0),
        _test_cors(h),
        _test_redirection(),
        _test_referrer_policy(h),
        hsts_line,
        _test_sri(),
        _test_x_content_type_options(h),
        _test_x_frame_options(h),
        _test_corp(h),
    ]
    score = _score(breakdown)
    return Assessment(findings, score, grade_for_score(score), breakdown)


def judge_security_headers(target: HttpTarget, response: HttpResponse, verdict: Verdict) -> None:
    """Every header finding of the target's policy, plus its minimum Observatory grade."""
    policy = target.header_policy
    if policy is None:
        return
    assessment = assess(response.headers, https=response.https, policy=policy)
    verdict.evidence("security headers", assessment.breakdown_table())
    verdict.evidence("response headers", response.header_block())
    verdict.note("observatory score", assessment.score)
    verdict.note("grade", assessment.grade)
    for finding in assessment.findings:
        (verdict.fail if finding.level == "crit" else verdict.warn)(finding.message)
    if policy.min_grade and not grade_at_least(assessment.grade, policy.min_grade):
        verdict.fail(
            f"grade {assessment.grade} (score {assessment.score}) is below the minimum "
            f"{policy.min_grade}; the score breakdown is in the report"
        )
