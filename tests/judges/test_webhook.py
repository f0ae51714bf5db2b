"""Webhook rules on given exchanges: our signed event is accepted, every forged one rejected."""

from __future__ import annotations

import pytest

from opsgate.judges.webhook import judge_webhook
from opsgate.probes.webhook import Exchange, WebhookFacts
from opsgate.targets.webhook import WebhookTarget
from opsgate.verdict import Verdict

URL = "http://127.0.0.1:8080/hooks/stripe"
TARGET = WebhookTarget(name="hooks", url=URL, scheme="stripe", secret="whsec_test", reject_stale=True)


def exchange(label: str, status: int, reason: str = "", body: str = "") -> Exchange:
    return Exchange(label, status, reason, 0.01, body, ("Stripe-Signature",))


def judged(correct: int | None, wrong: int | None, stale: int | None = None, body: str = ""
           ) -> tuple[list[str], dict[str, tuple[str, str, str | None]]]:
    """The findings (`level: message`) and the noted statuses (display, level, expected)."""
    statuses = (("correct secret", correct), ("wrong secret", wrong), ("stale timestamp", stale))
    exchanges = [exchange(label, status, "Reason", body) for label, status in statuses if status is not None]
    verdict = Verdict(target=TARGET)
    judge_webhook(TARGET, WebhookFacts(URL, "stripe", tuple(exchanges)), verdict)
    return ([f"{f.level}: {f.message}" for f in verdict.findings],
            {m.name: (m.display, m.level, m.crit_display) for m in verdict.measurements})


@pytest.mark.parametrize(("correct", "rejected"), [(200, 400), (204, 401), (299, 403)])
def test_accepting_ours_and_rejecting_forgeries_has_no_findings(correct: int, rejected: int) -> None:
    findings, noted = judged(correct, rejected, rejected)
    assert findings == []
    assert noted == {
        "correct secret status": (str(correct), "ok", "2xx"),
        "wrong secret status": (str(rejected), "ok", "400, 401 or 403"),
        "stale timestamp status": (str(rejected), "ok", "400, 401 or 403"),
    }


@pytest.mark.parametrize("status", [400, 401, 403, 422])
def test_our_event_rejected_means_the_secret_differs(status: int) -> None:
    findings, noted = judged(status, 401, body='{"error": "No signatures found matching the expected"}')
    assert findings == [
        f"crit: answered {status} Reason to a test event signed with the configured secret: the secret does "
        "NOT match the one the application uses (or the stripe signature check is misconfigured); copy the "
        "current signing secret from the provider's dashboard into the app's environment and restart it. "
        "Body: '{\"error\": \"No signatures found matching the expected\"}'"]
    assert noted["correct secret status"] == (str(status), "crit", "2xx")


@pytest.mark.parametrize("status", [500, 503])
def test_our_event_crashing_the_handler(status: int) -> None:
    assert judged(status, 401)[0] == [
        f"crit: answered {status} Reason to a test event signed with the configured secret: the webhook "
        "secret is probably not configured or the handler crashes; check the application's logs and its "
        "webhook-secret setting"]


@pytest.mark.parametrize("status", [199, 300, 404, 499])
def test_our_event_answered_otherwise_points_to_the_url(status: int) -> None:
    findings, noted = judged(status, 401)
    assert findings == [f"crit: answered {status} Reason to a test event signed with the configured secret, "
                        "expected 2xx: check the URL (redirects and 404s mean a wrong path)"]
    assert noted["correct secret status"][1] == "crit"


@pytest.mark.parametrize("status", [200, 202, 299])
def test_a_forged_event_accepted_is_a_security_failure(status: int) -> None:
    findings, noted = judged(200, status, status)
    assert findings == [
        f"crit: SECURITY: the endpoint ACCEPTED an event with a wrong secret ({status}): it does not verify "
        "stripe signatures, so anyone can forge events; verify the signature (and timestamp) before handling "
        "any event",
        f"crit: SECURITY: the endpoint ACCEPTED an event with a stale timestamp ({status}): it does not "
        "check the age of the stripe signature's timestamp, so captured events can be replayed; verify the "
        "signature (and timestamp) before handling any event"]
    assert noted["wrong secret status"] == (str(status), "crit", "400, 401 or 403")


@pytest.mark.parametrize("status", [500, 502])
def test_a_forged_event_crashing_the_handler(status: int) -> None:
    assert judged(200, status)[0] == [
        f"crit: answered {status} Reason to an event with a wrong secret: a forged event crashes the "
        "handler; reject bad signatures with 400"]


@pytest.mark.parametrize("status", [199, 300, 302, 404, 422, 499])
def test_a_forged_event_answered_otherwise_is_no_rejection(status: int) -> None:
    findings, noted = judged(200, 401, status)
    assert findings == [f"crit: answered {status} Reason to an event with a stale timestamp, expected 400, "
                        "401 or 403 (a rejection)"]
    assert noted["stale timestamp status"][1] == "crit"


def test_exchanges_not_made_are_not_judged() -> None:
    assert judged(None, 401) == ([], {"wrong secret status": ("401", "ok", "400, 401 or 403")})
    assert judged(200, None)[0] == []


def test_the_body_of_a_rejection_is_quoted_up_to_120_characters() -> None:
    findings, _ = judged(401, 401, body="x" * 121)
    assert findings[0].endswith("Body: '" + "x" * 120 + "'")
