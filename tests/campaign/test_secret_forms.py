"""Secrets in every derived form stay out of every output, whatever the server echoes back.

Servers on loopback echo each request in a failing answer (`tests/servers_echo.py`); every target
below carries one kind of credential to them. Each row of SECRET_FORMS is a form a secret takes on
the wire or in a message; none may appear in stdout, junit.xml, summary.json, summary.md or any
allure result.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.conftest import RunChecks
from tests.servers_echo import http_echo, redis_echo

# Declared secrets, as the environment holds them (query and URL passwords URL-encoded, as they
# must be inside a URL).
ENVIRONMENT = {
    "API_KEY": "ApiKey-9dF4gH", "BEARER": "Bearer-Tok-2mN5pL", "BA_PASS": "BaPw-3nR7sY",
    "URL_PASS": "UrlPw%21x8Kd2", "QUERY_TOKEN": "QryTok%2Bq7Zx9LmW", "METRICS_PASS": "MtPw-6hJ2wQ",
    "REDIS_PASS": "Rd%40Pw-5kT8vQ",
}


def basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


# How much of a body the http and metrics probes quote in a message ("body starts ...").
EXCERPT, METRICS_EXCERPT = 120, 160

# (form, the text that must appear nowhere)
SECRET_FORMS = [
    ("custom credential header (X-Api-Key), raw", "ApiKey-9dF4gH"),
    ("bearer_token, raw (the Authorization header value)", "Bearer-Tok-2mN5pL"),
    ("basic_auth password, raw", "BaPw-3nR7sY"),
    ("basic_auth as Basic base64 of user:password", basic("relkit", "BaPw-3nR7sY")),
    ("URL password, URL-encoded as written", "UrlPw%21x8Kd2"),
    ("URL password, URL-decoded", "UrlPw!x8Kd2"),
    ("URL password as Basic base64 of user:password", basic("urluser", "UrlPw!x8Kd2")),
    ("query token, URL-encoded as written", "QryTok%2Bq7Zx9LmW"),
    ("query token, URL-decoded", "QryTok+q7Zx9LmW"),
    ("metrics basic_auth as Basic base64 of user:password", basic("mon", "MtPw-6hJ2wQ")),
    ("Redis URL password, URL-encoded as written", "Rd%40Pw-5kT8vQ"),
    ("Redis URL password, URL-decoded", "Rd@Pw-5kT8vQ"),
    ("custom credential header, its head where an excerpt cut it", "ApiKey-9"),
    ("metrics Basic base64, its head where an excerpt cut it", f"Basic {basic('mon', 'MtPw-6hJ2wQ')[:4]}"),
]


def profile(http_port: int, redis_port: int) -> str:
    echo = f"http://127.0.0.1:{http_port}"
    return f"""
        name: secret-forms
        defaults: {{timeout: 5s}}
        secrets: [{", ".join(ENVIRONMENT)}]
        http:
          - {{name: basic-auth, url: "{echo}/a", basic_auth: {{username: relkit, password: "${{BA_PASS}}"}}}}
          - {{name: url-password, url: "http://urluser:${{URL_PASS}}@127.0.0.1:{http_port}/b"}}
          - {{name: query-token, url: "{echo}/c?token=${{QUERY_TOKEN}}"}}
          - {{name: api-key, url: "{echo}/d", headers: {{X-Api-Key: "${{API_KEY}}"}}}}
          - {{name: bearer, url: "{echo}/e", bearer_token: "${{BEARER}}"}}
          - name: key-cut-by-the-excerpt
            url: "{echo}/cut/{EXCERPT - 8}/X-Api-Key"
            headers: {{X-Api-Key: "${{API_KEY}}"}}
            expect: {{json_path: [{{path: status, equals: ok}}]}}
        metrics:
          - name: metrics-basic-auth
            url: "{echo}/m"
            json_path: up
            max: 1
            basic_auth: {{username: mon, password: "${{METRICS_PASS}}"}}
          - name: metrics-auth-cut-by-the-excerpt
            url: "{echo}/cut/{METRICS_EXCERPT - 10}/Authorization"
            json_path: up
            max: 1
            basic_auth: {{username: mon, password: "${{METRICS_PASS}}"}}
        redis:
          - {{name: redis-password, url: "redis://:${{REDIS_PASS}}@127.0.0.1:{redis_port}/0"}}
    """


def outputs(stdout: str, reports: Path) -> dict[str, str]:
    """Every output a reader can see: stdout and each report file."""
    found = {"stdout": stdout}
    for path in sorted(p for p in reports.rglob("*") if p.is_file()):
        found[str(path.relative_to(reports))] = path.read_text(errors="replace")
    return found


def test_no_secret_form_reaches_any_output(
    run_checks: RunChecks, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    with http_echo() as http_port, redis_echo() as redis_port:
        result = run_checks(profile(http_port, redis_port), "-v")
    result.assert_outcomes(failed=9)
    seen = outputs(result.stdout.str() + result.stderr.str(), pytester.path / "reports")
    assert {"junit.xml", "summary.json", "summary.md"} <= seen.keys()
    assert any(name.startswith("allure-results/") for name in seen)
    leaks = [(form, where) for form, text in SECRET_FORMS for where, content in seen.items()
             if text in content]
    assert leaks == []
    # The echoes came back, masked, into what was searched: the search is not vacuous.
    assert "| Authorization: Basic *** |" in seen["stdout"]
    assert "echo AUTH ***" in seen["stdout"]
