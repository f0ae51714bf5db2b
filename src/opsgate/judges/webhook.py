"""Rules for a webhook endpoint: accept our correctly signed event, reject every forged one."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opsgate.probes.webhook import Exchange, WebhookFacts
    from opsgate.targets.webhook import WebhookTarget
    from opsgate.verdict import Verdict

REJECTED = (400, 401, 403)


def judge_webhook(target: WebhookTarget, facts: WebhookFacts, verdict: Verdict) -> None:
    """Correct secret -> 2xx; wrong secret and (optionally) stale timestamp -> 400/401/403."""
    verdict.evidence("webhook exchanges", facts.evidence())
    for exchange in facts.exchanges:
        accepted = exchange.label == "correct secret"
        expected = "2xx" if accepted else "400, 401 or 403"
        met = 200 <= exchange.status < 300 if accepted else exchange.status in REJECTED
        verdict.note(f"{exchange.label} status", exchange.status, str(exchange.status),
                     level="ok" if met else "crit", expected=expected)
    correct = facts.get("correct secret")
    if correct is not None:
        _judge_accepted(target, correct, verdict)
    for label, risk in (("wrong secret", "anyone can forge events"),
                        ("stale timestamp", "captured events can be replayed")):
        exchange = facts.get(label)
        if exchange is not None:
            _judge_rejected(target, exchange, risk, verdict)


def _judge_accepted(target: WebhookTarget, exchange: Exchange, verdict: Verdict) -> None:
    status = exchange.status
    if 200 <= status < 300:
        return
    seen = f"answered {status} {exchange.reason} to a test event signed with the configured secret"
    if status in REJECTED or status == 422:
        verdict.fail(f"{seen}: the secret does NOT match the one the application uses (or the "
                     f"{target.scheme} signature check is misconfigured); copy the current signing "
                     "secret from the provider's dashboard into the app's environment and restart it. "
                     f"Body: {verdict.quote(exchange.body_excerpt, 120)}")
    elif status >= 500:
        verdict.fail(f"{seen}: the webhook secret is probably not configured or the handler crashes; "
                     "check the application's logs and its webhook-secret setting")
    else:
        verdict.fail(f"{seen}, expected 2xx: check the URL (redirects and 404s mean a wrong path)")


def _judge_rejected(target: WebhookTarget, exchange: Exchange, risk: str, verdict: Verdict) -> None:
    status = exchange.status
    if status in REJECTED:
        return
    seen = f"answered {status} {exchange.reason} to an event with a {exchange.label}"
    if 200 <= status < 300:
        verdict.fail(f"SECURITY: the endpoint ACCEPTED an event with a {exchange.label} ({status}): "
                     f"{_weakness(target, exchange)}, so "
                     f"{risk}; verify the signature (and timestamp) before handling any event")
    elif status >= 500:
        verdict.fail(f"{seen}: a forged event crashes the handler; reject bad signatures with 400")
    else:
        verdict.fail(f"{seen}, expected 400, 401 or 403 (a rejection)")


def _weakness(target: WebhookTarget, exchange: Exchange) -> str:
    if exchange.label == "stale timestamp":
        return f"it does not check the age of the {target.scheme} signature's timestamp"
    return f"it does not verify {target.scheme} signatures"
