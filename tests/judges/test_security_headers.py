"""Security-header assessment: baseline findings, policy adjustments, Observatory score/grade."""

from __future__ import annotations

import pytest

from opsgate.judges.security_headers import (
    RULES,
    Assessment,
    HeaderFinding,
    assess,
    grade_at_least,
    grade_for_score,
    validate_rule_ids,
)
from opsgate.targets.http import GRADES, SecurityHeadersPolicy

Headers = list[tuple[str, str]]

COOKIE_SECRET = "s3cr3t-c00kie-v4lue"

PERFECT: Headers = [
    ("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"),
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Set-Cookie", f"__Host-sessionid={COOKIE_SECRET}; Path=/; Secure; HttpOnly; SameSite=Strict"),
]

# OWASP Secure Headers Project, ci/headers_add.json (2024-07-19)
OWASP: Headers = [
    ("Cache-Control", "no-store, max-age=0"),
    ("Clear-Site-Data", '"cache","cookies","storage"'),
    (
        "Content-Security-Policy",
        "default-src 'self'; form-action 'self'; object-src 'none'; frame-ancestors 'none'; "
        "upgrade-insecure-requests; block-all-mixed-content",
    ),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "accelerometer=(), camera=(), geolocation=(), microphone=()"),
    ("Referrer-Policy", "no-referrer"),
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "deny"),
    ("X-Permitted-Cross-Domain-Policies", "none"),
]


def replace(headers: Headers, name: str, value: str | None) -> Headers:
    """`headers` without `name` (any case), plus `name: value` unless value is None."""
    kept = [(n, v) for n, v in headers if n.lower() != name.lower()]
    return kept if value is None else [*kept, (name, value)]


def without(headers: Headers, *names: str) -> Headers:
    for name in names:
        headers = replace(headers, name, None)
    return headers


def run(headers: Headers, *, https: bool = True, **policy: object) -> Assessment:
    return assess(headers, https=https, policy=SecurityHeadersPolicy(**policy))


def kinds(assessment: Assessment) -> list[tuple[str, str]]:
    return [(f.rule, f.level) for f in assessment.findings]


def modifiers(assessment: Assessment) -> dict[str, int]:
    return {line.test: line.modifier for line in assessment.breakdown}


CASES = [
    # id, headers, https, expected (rule, level) findings, score, grade
    ("perfect", PERFECT, True, [], 135, "A+"),
    ("owasp-recommended", OWASP, True, [], 145, "A+"),  # COOP and COEP +10 each
    (
        "https-without-hsts",
        without(PERFECT, "Strict-Transport-Security"),
        True,
        [("hsts", "crit")],
        80,  # uncurved 80 < 90: the +35 of bonuses do not count
        "B+",
    ),
    (
        "hsts-one-day",
        replace(PERFECT, "Strict-Transport-Security", "max-age=86400; includeSubDomains"),
        True,
        [("hsts", "crit")],
        125,  # -10 leaves 90 uncurved, so the bonuses count
        "A+",
    ),
    (
        "hsts-below-recommended",
        replace(PERFECT, "Strict-Transport-Security", "max-age=20000000; includeSubDomains"),
        True,
        [("hsts", "warn")],
        135,
        "A+",
    ),
    (
        "hsts-without-includesubdomains",
        replace(PERFECT, "Strict-Transport-Security", "max-age=31536000"),
        True,
        [("hsts", "warn")],
        135,
        "A+",
    ),
    (
        "hsts-set-twice",
        [*PERFECT, ("strict-transport-security", "max-age=31536000")],
        True,
        [("hsts", "crit")],
        80,
        "B+",
    ),
    (
        "hsts-without-max-age",
        replace(PERFECT, "Strict-Transport-Security", "includeSubDomains"),
        True,
        [("hsts", "crit")],
        80,
        "B+",
    ),
    (
        "csp-unsafe-inline",
        replace(
            PERFECT,
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ),
        True,
        [("csp", "warn")],
        80,
        "B+",
    ),
    (
        "csp-unsafe-eval-in-default-src",
        replace(
            PERFECT,
            "Content-Security-Policy",
            "default-src 'self' 'unsafe-eval'; frame-ancestors 'none'",
        ),
        True,
        [("csp", "warn")],
        115,  # -10 for unsafe-eval, bonuses still count (uncurved 90)
        "A+",
    ),
    (
        "csp-nonce-neutralizes-unsafe-inline",
        replace(
            PERFECT,
            "Content-Security-Policy",
            "default-src 'self'; script-src 'nonce-r4nd0m' 'unsafe-inline'; frame-ancestors 'none'",
        ),
        True,
        [],
        130,
        "A+",
    ),
    (
        "csp-missing-and-no-xfo",
        without(PERFECT, "Content-Security-Policy", "X-Frame-Options"),
        True,
        [("csp", "crit"), ("clickjacking", "crit")],
        55,  # -25 CSP, -20 XFO
        "C",
    ),
    (
        "csp-without-frame-ancestors-and-no-xfo",
        without(
            replace(PERFECT, "Content-Security-Policy", "default-src 'self'"), "X-Frame-Options"
        ),
        True,
        [("csp", "warn"), ("clickjacking", "crit")],
        80,
        "B+",
    ),
    (
        "csp-report-only",
        replace(
            without(PERFECT, "Content-Security-Policy"),
            "Content-Security-Policy-Report-Only",
            "default-src 'self'",
        ),
        True,
        [("csp", "crit")],
        75,  # -25 CSP; the XFO header still scores 0
        "B",
    ),
    (
        "frame-ancestors-star-overrides-xfo",
        replace(PERFECT, "Content-Security-Policy", "default-src 'self'; frame-ancestors *"),
        True,
        [("clickjacking", "crit")],
        130,  # Observatory gives +5 for any frame-ancestors
        "A+",
    ),
    (
        "xcto-invalid",
        replace(PERFECT, "X-Content-Type-Options", "sniff-away"),
        True,
        [("x-content-type-options", "crit")],
        130,
        "A+",
    ),
    (
        "referrer-unsafe-url",
        replace(PERFECT, "Referrer-Policy", "unsafe-url"),
        True,
        [("referrer-policy", "crit")],
        125,
        "A+",
    ),
    (
        "referrer-origin",
        replace(PERFECT, "Referrer-Policy", "origin"),
        True,
        [("referrer-policy", "warn")],
        125,
        "A+",
    ),
    (
        "referrer-missing",
        without(PERFECT, "Referrer-Policy"),
        True,
        [("referrer-policy", "crit")],
        130,
        "A+",
    ),
    (
        "x-powered-by",
        [*PERFECT, ("X-Powered-By", "PHP/8.1.2")],
        True,
        [("info-leak", "warn")],
        135,
        "A+",
    ),
    (
        "server-with-version",
        [*PERFECT, ("Server", "nginx/1.18.0")],
        True,
        [("info-leak", "warn")],
        135,
        "A+",
    ),
    (
        "server-apache-version",
        [*PERFECT, ("Server", "Apache/2.4.1 (Ubuntu)")],
        True,
        [("info-leak", "warn")],
        135,
        "A+",
    ),
    ("server-without-version", [*PERFECT, ("Server", "nginx")], True, [], 135, "A+"),
    (
        "insecure-session-cookie",
        replace(PERFECT, "Set-Cookie", f"sessionid={COOKIE_SECRET}; Path=/"),
        True,
        [("cookies", "crit")],
        70,  # session cookie without HttpOnly: -30
        "B",
    ),
    (
        "csrf-cookie-readable-by-scripts",
        [*PERFECT, ("Set-Cookie", f"csrftoken={COOKIE_SECRET}; Secure; SameSite=Lax")],
        True,
        [("cookies", "crit")],
        135,  # not a session cookie for the Observatory
        "A+",
    ),
    (
        "plain-http",
        PERFECT,
        False,
        [],  # neither HSTS nor cookie Secure are judged over HTTP
        40,  # -20 HSTS (no HTTPS), -40 session cookie set over HTTP
        "D+",
    ),
    (
        "nothing-on-https",
        [],
        True,
        [
            ("hsts", "crit"),
            ("csp", "crit"),
            ("x-content-type-options", "crit"),
            ("clickjacking", "crit"),
            ("referrer-policy", "crit"),
        ],
        30,
        "D",
    ),  # fmt: skip
    (
        "nothing-but-an-insecure-cookie",
        [("Set-Cookie", f"SID={COOKIE_SECRET}")],
        True,
        [
            ("hsts", "crit"),
            ("csp", "crit"),
            ("x-content-type-options", "crit"),
            ("clickjacking", "crit"),
            ("referrer-policy", "crit"),
            ("cookies", "crit"),
        ],
        0,  # -25 -40 -20 -5 -20: floored at 0
        "F",
    ),
]


@pytest.mark.parametrize(
    ("headers", "https", "expected", "score", "grade"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_assessment(
    headers: Headers, https: bool, expected: list[tuple[str, str]], score: int, grade: str
) -> None:
    result = run(headers, https=https)
    assert kinds(result) == expected
    assert (result.score, result.grade) == (score, grade)


def test_hsts_messages_name_the_ages() -> None:
    short = run(replace(PERFECT, "Strict-Transport-Security", "max-age=86400; includeSubDomains"))
    assert short.findings == [
        HeaderFinding(
            "hsts",
            "crit",
            "Strict-Transport-Security max-age=86400 is below 15552000 (180 days): "
            "raise it to 31536000",
        )
    ]
    medium = run(replace(PERFECT, "Strict-Transport-Security", "max-age=20000000"))
    assert [f.message for f in medium.findings] == [
        "Strict-Transport-Security max-age=20000000 is below the recommended 31536000 "
        "(365 days): raise it to 31536000",
        "Strict-Transport-Security lacks includeSubDomains: subdomains stay reachable over "
        "plain HTTP; add it once every subdomain serves HTTPS",
    ]


@pytest.mark.parametrize(
    ("value", "finding", "observatory"),
    [
        # RFC 6797 allows spaces around "="; upstream reads only "max-age=" verbatim.
        ("max-age = 31536000; includeSubDomains", [], -20),
        # Browsers ignore a max-age with trailing junk; upstream reads parseInt's 31536000.
        (
            "max-age=31536000abc; includeSubDomains",
            [
                HeaderFinding(
                    "hsts",
                    "crit",
                    "Strict-Transport-Security has an invalid max-age '31536000abc': send exactly "
                    "one valid header, e.g. 'Strict-Transport-Security: max-age=31536000; "
                    "includeSubDomains'",
                )
            ],
            0,
        ),
    ],
    ids=["spaces-around-equals", "trailing-junk"],
)
def test_hsts_baseline_reads_as_browsers_the_score_as_upstream(
    value: str, finding: list[HeaderFinding], observatory: int
) -> None:
    result = run(replace(PERFECT, "Strict-Transport-Security", value))
    assert result.findings == finding
    assert modifiers(result)["strict-transport-security"] == observatory


def test_hsts_thresholds_come_from_the_policy() -> None:
    headers = replace(PERFECT, "Strict-Transport-Security", "max-age=86400; includeSubDomains")
    assert run(headers, hsts_min_age=3600, hsts_recommended_age=86400).findings == []
    assert kinds(run(headers, hsts_min_age=3600)) == [("hsts", "warn")]


def test_hsts_scores() -> None:
    def hsts(value: str | None) -> int:
        headers = replace(PERFECT, "Strict-Transport-Security", value)
        return modifiers(run(headers))["strict-transport-security"]

    assert hsts("max-age=15552000") == 0  # the Observatory's six months
    assert hsts("max-age=15551999") == -10
    assert hsts(None) == -20
    assert hsts("max-age=31536000, max-age=31536000") == -20
    assert modifiers(run(PERFECT, https=False))["strict-transport-security"] == -20


def test_csp_scores() -> None:
    def csp(value: str, https: bool = True) -> int:
        headers = replace(PERFECT, "Content-Security-Policy", value)
        return modifiers(run(headers, https=https))["content-security-policy"]

    assert csp("default-src 'none'") == 10
    assert csp("default-src 'self'") == 5
    assert csp("default-src 'self'; script-src 'self' 'unsafe-inline'") == -20
    assert csp("default-src 'self'; script-src 'self' data:") == -20
    assert csp("default-src 'self'; object-src https:") == -20
    assert csp("frame-ancestors 'none'") == -20  # no script-src/default-src: anything goes
    assert csp("default-src 'self'; script-src 'self' http://cdn.example.com") == -20
    assert csp("default-src 'self'; script-src 'self' http://cdn.example.com", https=False) == 5
    assert csp("default-src 'self'; script-src 'self' 'unsafe-eval'") == -10
    assert csp("default-src 'self'; img-src http://img.example.com") == -10
    assert csp("default-src 'self'; style-src 'self' 'unsafe-inline'") == 0
    assert csp("default-src 'self'; script-src 'strict-dynamic'") == -25
    assert csp("default-src 'self'; script-src 'self'; script-src 'none'") == -25
    assert csp("default-src 'self'; report-uri /a; report-uri /b") == 0
    assert (
        modifiers(run(without(PERFECT, "Content-Security-Policy")))["content-security-policy"]
        == -25
    )


def test_other_observatory_tests() -> None:
    def score_of(test: str, name: str, value: str | None, https: bool = True) -> int:
        return modifiers(run(replace(PERFECT, name, value), https=https))[test]

    assert score_of("referrer-policy", "Referrer-Policy", "strict-origin-when-cross-origin") == 5
    assert score_of("referrer-policy", "Referrer-Policy", "no-referrer-when-downgrade") == -5
    assert score_of("referrer-policy", "Referrer-Policy", "nonsense") == -5
    assert score_of("referrer-policy", "Referrer-Policy", None) == 0
    assert score_of("x-content-type-options", "X-Content-Type-Options", "NoSniff") == 0
    assert score_of("x-content-type-options", "X-Content-Type-Options", None) == -5
    assert (
        score_of("cross-origin-resource-policy", "Cross-Origin-Resource-Policy", "same-site") == 10
    )
    assert (
        score_of("cross-origin-resource-policy", "Cross-Origin-Resource-Policy", "cross-origin")
        == 0
    )
    assert score_of("cross-origin-resource-policy", "Cross-Origin-Resource-Policy", "bogus") == -5
    assert score_of("cross-origin-resource-policy", "Cross-Origin-Resource-Policy", None) == 0
    no_csp = without(PERFECT, "Content-Security-Policy")
    assert modifiers(run(no_csp))["x-frame-options"] == 5  # DENY: +5 since algorithm version 6
    assert (
        modifiers(run(replace(no_csp, "X-Frame-Options", "ALLOW-FROM x")))["x-frame-options"] == 0
    )
    assert modifiers(run(replace(no_csp, "X-Frame-Options", "bogus")))["x-frame-options"] == -20
    assert modifiers(run(PERFECT))["x-frame-options"] == 5


def test_cookie_scores() -> None:
    def cookies(*set_cookies: str, https: bool = True, hsts: bool = True) -> int:
        headers = [(n, v) for n, v in PERFECT if n != "Set-Cookie"]
        if not hsts:
            headers = without(headers, "Strict-Transport-Security")
        headers += [("Set-Cookie", c) for c in set_cookies]
        return modifiers(run(headers, https=https))["cookies"]

    assert cookies() == 0
    assert cookies("a=1; Secure; SameSite=Lax") == 5
    assert cookies("a=1; Secure") == 0  # no SameSite: no bonus
    assert cookies("a=1; SameSite=Lax") == -5  # no Secure, but HSTS
    assert cookies("a=1; SameSite=Lax", hsts=False) == -20
    assert cookies("a=1; Secure; SameSite=Lax", https=False) == -20  # set over HTTP
    assert cookies("sessionid=1; HttpOnly; SameSite=Lax") == -10  # session, no Secure, HSTS
    assert cookies("sessionid=1; HttpOnly; SameSite=Lax", hsts=False) == -40
    assert cookies("auth_token=1; Secure; SameSite=Lax") == -30  # session without HttpOnly
    assert cookies("a=1; Secure; SameSite=Bogus") == -20
    assert cookies("a=1; Secure; SameSite=None") == 5
    assert cookies("csrf=1; Secure") == -20  # anti-CSRF without SameSite
    assert cookies("heroku-session-affinity=1") == 0  # ignored, as by the Observatory


def test_cookie_finding_names_the_cookie_and_never_its_value() -> None:
    headers = [
        *without(PERFECT, "Set-Cookie"),
        ("Set-Cookie", f"sessionid={COOKIE_SECRET}; Path=/"),
        ("Set-Cookie", f"theme={COOKIE_SECRET}; Secure; HttpOnly; SameSite=Lax"),
        ("Set-Cookie", f"prefs={COOKIE_SECRET}; Secure; HttpOnly; SameSite=Sideways"),
    ]
    result = run(headers)
    assert [f.message for f in result.findings] == [
        "cookie 'sessionid' lacks Secure, HttpOnly, SameSite: set it with "
        "'Secure; HttpOnly; SameSite=Lax' (or Strict)",
        "cookie 'prefs' lacks a valid SameSite (got 'Sideways'): set it with "
        "'Secure; HttpOnly; SameSite=Lax' (or Strict)",
    ]
    assert all(COOKIE_SECRET not in f.message for f in result.findings)
    assert COOKIE_SECRET not in result.breakdown_table()
    over_http = run(headers, https=False)
    assert over_http.findings[0].message.startswith("cookie 'sessionid' lacks HttpOnly, SameSite:")


def test_header_names_are_case_insensitive() -> None:
    lowered = [(n.lower(), v) for n, v in PERFECT]
    upper = [(n.upper(), v) for n, v in PERFECT]
    assert run(lowered).findings == run(upper).findings == []
    assert run(lowered).score == run(upper).score == 135


def test_require_forbid_policy() -> None:
    headers = [*PERFECT, ("Cross-Origin-Opener-Policy", "unsafe-none"), ("X-Debug-Token", "abc123")]
    result = run(
        headers,
        require={
            "permissions-policy": None,
            "x-content-type-options": "^NOSNIFF$",
            "Cross-Origin-Opener-Policy": "^same-origin$",
        },
        forbid=["x-debug-token", "X-Absent"],
    )
    assert result.findings == [
        HeaderFinding("required", "crit", "required header permissions-policy is missing: send it"),
        HeaderFinding(
            "required",
            "crit",
            "required header Cross-Origin-Opener-Policy does not match /^same-origin$/: "
            "fix its value",
        ),
        HeaderFinding("forbidden", "crit", "forbidden header x-debug-token is present: remove it"),
    ]
    assert "abc123" not in "".join(f.message for f in result.findings)


def test_relax_drops_whole_rules() -> None:
    headers = [*without(PERFECT, "Strict-Transport-Security"), ("Server", "nginx/1.18.0")]
    assert kinds(run(headers)) == [("hsts", "crit"), ("info-leak", "warn")]
    relaxed = run(headers, relax=["hsts", "info-leak"])
    assert relaxed.findings == []
    assert relaxed.score == run(headers).score == 80  # the grade ignores the policy


def test_base_none_judges_only_require_and_forbid() -> None:
    result = run([("Server", "Apache/2.4.1")], base="none", require={"X-Request-Id": None})
    assert kinds(result) == [("required", "crit")]
    assert result.grade == "D"  # still graded


def test_unknown_relax_rule_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"'hst'.*valid ids: hsts, csp, "):
        run(PERFECT, relax=["hst"])
    assert validate_rule_ids(["csp", "cookies"]) == ["csp", "cookies"]
    assert RULES == (
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


def test_cors_and_unevaluated_lines() -> None:
    headers = [
        *PERFECT,
        ("Access-Control-Allow-Origin", "https://app.example.com"),
        ("Access-Control-Allow-Credentials", "true"),
    ]
    lines = {line.test: line for line in run(headers).breakdown}
    assert lines["cross-origin-resource-sharing"].modifier == 0
    assert lines["cross-origin-resource-sharing"].reason.startswith("warning: ")
    assert lines["redirection"].reason.startswith("not evaluated (needs ")
    assert lines["subresource-integrity"].reason.startswith("not evaluated (needs ")
    assert list(lines) == [
        "content-security-policy",
        "cookies",
        "cross-origin-embedder-policy",
        "cross-origin-opener-policy",
        "cross-origin-resource-sharing",
        "redirection",
        "referrer-policy",
        "strict-transport-security",
        "subresource-integrity",
        "x-content-type-options",
        "x-frame-options",
        "cross-origin-resource-policy",
    ]


def test_breakdown_table() -> None:
    table = run(PERFECT).breakdown_table().splitlines()
    assert table[0].split() == ["test", "modifier", "reason"]
    assert table[1].split()[:3] == ["content-security-policy", "+10", "no"]
    assert table[3].split()[:2] == ["cross-origin-embedder-policy", "0"]
    assert table[5].split()[:2] == ["cross-origin-resource-sharing", "0"]
    assert len(table) == 14
    assert table[-1] == "score 135, grade A+"


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (145, "A+"),
        (101, "A+"),
        (100, "A+"),
        (99, "A"),
        (95, "A"),
        (90, "A"),
        (89, "A-"),
        (85, "A-"),
        (80, "B+"),
        (75, "B"),
        (70, "B"),
        (65, "B-"),
        (60, "C+"),
        (55, "C"),
        (50, "C"),
        (45, "C-"),
        (40, "D+"),
        (35, "D"),
        (30, "D"),
        (25, "D-"),
        (24, "F"),
        (0, "F"),
        (-10, "F"),
    ],
)
def test_grade_table(score: int, grade: str) -> None:
    assert grade_for_score(score) == grade


def test_grade_at_least() -> None:
    assert grade_at_least("A+", "A")
    assert grade_at_least("A", "A")
    assert not grade_at_least("A-", "A")
    assert not grade_at_least("F", "D-")
    assert all(grade_at_least(g, "F") for g in GRADES)
    with pytest.raises(ValueError, match="unknown grade 'E'"):
        grade_at_least("E", "A")
