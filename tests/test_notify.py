"""--notify and `notify:` from real runs: a local receiver for chat and JSON webhooks, a real
Alertmanager routing to it. Every payload is searched for the secret the profile uses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opsgate.demo import DemoProcess
from tests.conftest import RunChecks, free_port
from tests.servers_monitoring import Receiver, alertmanager

SECRET = "n0tify-s3cret-9731"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def _profile(url: str, receiver: Receiver, notify: str = "") -> str:
    return f"""
        name: notified
        secrets: [ADMIN_API_KEY]
        http:
          - name: admin
            url: {url}?key=${{ADMIN_API_KEY}}
            runbook: https://runbooks.example/admin
        {notify}
    """


def test_a_failure_posts_chat_and_json_with_findings_and_no_secret(
    run_checks: RunChecks, demo: DemoProcess, receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ADMIN_API_KEY", SECRET)
    result = run_checks(_profile(f"{demo.http_url}/status/503", receiver, f"""
        notify:
          - {{url: "{receiver.url}/slack", format: slack}}
          - {{url: "{receiver.url}/json"}}
    """))
    assert result.ret == 1
    assert [path for path, _ in receiver.posts] == ["/slack", "/json"]
    assert not [body for _, body in receiver.posts if SECRET in body]

    slack = receiver.bodies("/slack")[0]
    assert slack["text"].startswith("*opsgate FAILED: profile notified (all checks): 1 of 1 checks failing*")
    assert "• *http admin*: status 503 Service Unavailable, expected 2xx" in slack["text"]
    assert "(<https://runbooks.example/admin|runbook>)" in slack["text"]
    assert slack["blocks"][0]["text"]["type"] == "mrkdwn"
    generic = receiver.bodies("/json")[0]
    assert generic["event"] == "failure" and generic["totals"]["fail"] == 1
    failed = generic["failed"][0]
    assert (failed["check"], failed["target"], failed["runbook"]) == (
        "http", "admin", "https://runbooks.example/admin")
    assert failed["finding"].startswith("status 503 Service Unavailable")
    assert generic["reports"].endswith("/reports/summary.html")


def test_a_pass_after_a_failure_is_a_recovery_only_when_asked(
    run_checks: RunChecks, demo: DemoProcess, receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ADMIN_API_KEY", SECRET)
    failing, passing = _profile(f"{demo.http_url}/status/503", receiver), _profile(
        f"{demo.http_url}/health", receiver)
    notify = f"--notify={receiver.url}/hook"
    run_checks(failing, notify)
    run_checks(passing, notify)  # recovery not asked for: nothing
    assert [body["event"] for body in receiver.bodies("/hook")] == ["failure"]
    run_checks(passing, notify, "--notify-recovery")  # the last run passed: nothing to recover
    run_checks(failing, notify, "--notify-recovery")
    run_checks(passing, notify, "--notify-recovery")
    events = [(body["event"], body["title"]) for body in receiver.bodies("/hook")]
    assert events == [
        ("failure", "opsgate FAILED: profile notified (all checks): 1 of 1 checks failing"),
        ("failure", "opsgate FAILED: profile notified (all checks): 1 of 1 checks failing"),
        ("recovery", "opsgate RECOVERED: profile notified (all checks): all 1 checks pass"),
    ]


def test_alertmanager_routes_the_failure_and_its_resolution(
    run_checks: RunChecks, demo: DemoProcess, receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ADMIN_API_KEY", SECRET)
    import httpx

    with alertmanager(f"{receiver.url}/am") as manager:
        notify = f"--notify=alertmanager:{manager}"
        run_checks(_profile(f"{demo.http_url}/status/503", receiver), notify)
        alerts = httpx.get(f"{manager}/api/v2/alerts", timeout=5).json()
        assert len(alerts) == 1 and alerts[0]["status"]["state"] == "active"
        assert alerts[0]["labels"] == {
            "alertname": "OpsgateCheckFailed", "profile": "notified", "suite": "all", "kind": "http",
            "target": "admin", "severity": "critical"}
        assert alerts[0]["annotations"]["runbook_url"] == "https://runbooks.example/admin"
        assert "status 503" in alerts[0]["annotations"]["summary"]
        firing = receiver.wait_for("/am")
        assert firing[0]["status"] == "firing"
        assert firing[0]["alerts"][0]["labels"]["target"] == "admin"

        run_checks(_profile(f"{demo.http_url}/health", receiver), notify)
        statuses = [body["status"] for body in receiver.wait_for("/am", count=2)]
        assert statuses == ["firing", "resolved"]
    assert not [body for _, body in receiver.posts if SECRET in body]


def test_a_notification_that_cannot_be_sent_is_said_and_leaves_the_verdict_alone(
    run_checks: RunChecks, demo: DemoProcess,
) -> None:
    port = free_port()
    result = run_checks(f"""
        name: unsent
        http: [{{name: down, url: "{demo.http_url}/status/500"}}]
    """, f"--notify=slack:http://127.0.0.1:{port}/services/T0/B0/s3cr3tpath")
    assert result.ret == 1
    result.stdout.fnmatch_lines([f"opsgate: notification to http://127.0.0.1:{port}/... (slack) not sent: *"])
    assert "s3cr3tpath" not in result.stdout.str()


def test_bad_notification_urls_are_usage_errors(run_checks: RunChecks, demo: DemoProcess) -> None:
    cli = run_checks(f"""
        name: bad
        http: [{{name: up, url: "{demo.http_url}/health"}}]
    """, "--notify=slack:hooks.slack.com/x")
    assert cli.ret == 4
    cli.stderr.fnmatch_lines(["*--notify: expected an http:// or https:// URL, optionally after slack: *"])
    profile = run_checks(f"""
        name: bad
        http: [{{name: up, url: "{demo.http_url}/health"}}]
        notify: [{{url: "hooks.example/x", format: teams}}]
    """)
    assert profile.ret == 4
    profile.stderr.fnmatch_lines([
        "*profile.yaml: notify?0?.url: expected an http:// or https:// URL, got 'hooks.example/...'*",
        "*profile.yaml: notify?0?.format: input should be 'slack', 'json' or 'alertmanager'*",
    ])
