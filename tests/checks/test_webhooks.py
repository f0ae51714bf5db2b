"""The webhook check end to end: receivers broken in every way, intrusive marker, no secret leaks."""

from __future__ import annotations

import json

import pytest

from tests.conftest import RunChecks
from tests.servers_webhooks import receiver

SECRET = "whsec_opsgate_check_secret_value_42"


def profile(url: str, **extra: str) -> str:
    keys = "".join(f", {k}: {v}" for k, v in extra.items())
    return f"""
        name: t
        webhooks:
          - {{name: hook, url: "{url}", scheme: stripe, secret: "${{STRIPE_WEBHOOK_SECRET}}"{keys}}}
    """


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)


@pytest.mark.usefixtures("env")
def test_matching_secret_passes_and_is_intrusive(run_checks: RunChecks) -> None:
    with receiver("stripe", SECRET) as app:
        result = run_checks(profile(app.url, reject_stale="true"), "-m", "weekly and intrusive")
        result.assert_outcomes(passed=1)
        skipped = run_checks(profile(app.url), "-m", "not intrusive")
    assert skipped.ret == 5  # nothing selected: webhook checks are intrusive


@pytest.mark.usefixtures("env")
def test_accept_all_receiver_is_a_security_failure(run_checks: RunChecks, pytester: pytest.Pytester) -> None:
    with receiver("stripe", SECRET, mode="accept-all") as app:
        result = run_checks(profile(app.url))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*SECURITY: the endpoint ACCEPTED an event with a wrong secret (200)*"])
    # The summary's measurements judge each status too: a 200 to a forged event is not "ok".
    [check] = json.loads((pytester.path / "reports" / "summary.json").read_text())["checks"]
    statuses = {m["name"]: (m["value"], m["level"], m["crit_display"]) for m in check["measurements"]}
    assert statuses["wrong secret status"] == (200, "crit", "400, 401 or 403")
    assert statuses["correct secret status"] == (200, "ok", "2xx")


@pytest.mark.usefixtures("env")
def test_other_secret_reports_a_mismatch(run_checks: RunChecks) -> None:
    with receiver("stripe", "whsec_rotated_on_the_app_side") as app:
        result = run_checks(profile(app.url))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*answered 400 Bad Request to a test event signed with the configured "
                                 "secret: the secret does NOT match*"])


@pytest.mark.usefixtures("env")
def test_receiver_ignoring_timestamps_fails_replay_check(run_checks: RunChecks) -> None:
    with receiver("stripe", SECRET, mode="no-timestamp") as app:
        result = run_checks(profile(app.url, reject_stale="true"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ACCEPTED an event with a stale timestamp*does not check the age*"])


@pytest.mark.usefixtures("env")
def test_crashing_handler_names_the_secret_setting(run_checks: RunChecks) -> None:
    with receiver("stripe", SECRET, mode="crash") as app:
        result = run_checks(profile(app.url))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*answered 500*secret is probably not configured or the handler crashes*"])


@pytest.mark.usefixtures("env")
def test_secret_never_appears_in_output_or_reports(run_checks: RunChecks, pytester: pytest.Pytester) -> None:
    with receiver("stripe", "whsec_rotated") as app:
        result = run_checks(profile(app.url), "-rA", "-vv")
    result.assert_outcomes(failed=1)
    output = result.stdout.str() + result.stderr.str()
    assert "hook" in output
    assert SECRET not in output
    reports = pytester.path / "reports"
    for name in ("junit.xml", "summary.json"):
        text = (reports / name).read_text()
        assert "webhooks" in text or "hook" in text
        assert SECRET not in text, name


@pytest.mark.usefixtures("env")
def test_the_smoke_gate_sends_no_test_events_unless_the_profile_opts_in(run_checks: RunChecks) -> None:
    with receiver("stripe", SECRET) as app:
        gate = run_checks(profile(app.url), "-m", "smoke")
        opted_in = run_checks(profile(app.url, suites="[smoke]"), "-m", "smoke")
        weekly = run_checks(profile(app.url), "-m", "weekly")
    assert gate.ret == 5
    gate.assert_outcomes(deselected=1)
    opted_in.assert_outcomes(passed=1)
    weekly.assert_outcomes(passed=1)
