"""The README's "try it" profiles, run as a newcomer would: local passes, local-broken fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, RunChecks, free_port


@pytest.fixture
def demo_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Free ports for the demo targets the profiles start, so tests never collide."""
    for name in ("OPSGATE_DEMO_PORT", "OPSGATE_DEMO_HTTPS_PORT",
                 "OPSGATE_BROKEN_DEMO_PORT", "OPSGATE_BROKEN_DEMO_HTTPS_PORT"):
        monkeypatch.setenv(name, str(free_port()))


def shipped(name: str) -> str:
    return (REPO / "profiles" / f"{name}.yaml").read_text()


@pytest.mark.usefixtures("demo_ports")
def test_local_profile_passes_with_every_check_kind(
    run_checks: RunChecks, pytester: pytest.Pytester,
) -> None:
    result = run_checks(shipped("local"), at="profiles/local.yaml")
    assert result.ret == 0, result.stdout.str()[-3000:]
    summary = json.loads((pytester.path / "reports" / "summary.json").read_text())
    kinds = {check["check"] for check in summary["checks"]}
    assert kinds >= {"http", "security_headers", "redis", "databases", "queues", "tls", "dns",
                     "webhooks", "latency", "metrics", "backups", "hosts"}
    assert summary["totals"]["fail"] == summary["totals"]["error"] == 0


@pytest.mark.usefixtures("demo_ports")
def test_local_broken_profile_fails_with_actionable_messages(
    run_checks: RunChecks, pytester: pytest.Pytester,
) -> None:
    result = run_checks(shipped("local-broken"), at="profiles/local-broken.yaml")
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "*status 503 Service Unavailable, expected 200*",
        "*Runbook: https://*",
        "*no complete response within 1s (the service hangs or is overloaded)*",
        "*SECURITY: the endpoint ACCEPTED an event with a wrong secret*",
    ])
    summary = json.loads(Path(pytester.path / "reports" / "summary.json").read_text())
    assert summary["totals"]["pass"] == 1 and summary["totals"]["fail"] == 8
