"""Webhook secret-match probe: POST a harmless test event signed three ways and record answers.

1. signed with the configured secret (the app should accept it: 2xx);
2. signed with a freshly made wrong secret (the app must reject it: 4xx);
3. only with `reject_stale`: signed correctly but with a timestamp `stale_by` in the past (4xx).

The signature formats follow the providers' libraries (see `sign`); the event is a ping-like
test event (`event_type`, default `opsgate.ping`) an application can safely ignore.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from opsgate.errors import ProbeTimeout
from opsgate.probes.http import http_failure
from opsgate.probes.transport import client_tls
from opsgate.redact import clip
from opsgate.targets.webhook import HmacScheme, WebhookTarget, standard_key

_EXCERPT = 300
USER_AGENT = "opsgate-webhook-check"


@dataclass(frozen=True)
class Exchange:
    """One signed POST and the endpoint's answer."""

    label: str  # "correct secret", "wrong secret", "stale timestamp"
    status: int
    reason: str
    elapsed: float
    body_excerpt: str
    signature_headers: tuple[str, ...]


@dataclass(frozen=True)
class WebhookFacts:
    url: str
    scheme: str
    exchanges: tuple[Exchange, ...]

    def get(self, label: str) -> Exchange | None:
        return next((e for e in self.exchanges if e.label == label), None)

    def evidence(self) -> str:
        return "\n".join(
            f"POST {self.url} [{e.label}] headers {', '.join(e.signature_headers)} -> {e.status} "
            f"{e.reason} ({e.elapsed * 1000:.0f} ms) {clip(e.body_excerpt, 120)!r}" for e in self.exchanges)


def default_event(target: WebhookTarget, timestamp: int, event_id: str) -> dict[str, Any]:
    """The ping-like event sent when the profile gives no `body`, shaped like the scheme's events."""
    if target.scheme == "stripe":
        return {"id": f"evt_opsgate_{event_id}", "object": "event", "type": target.event_type,
                "created": timestamp, "livemode": False, "pending_webhooks": 0,
                "data": {"object": {"id": f"opsgate_{event_id}", "object": "opsgate_ping"}},
                "request": {"id": None, "idempotency_key": None}}
    if target.scheme == "standard":
        return {"type": target.event_type, "timestamp": time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp)), "data": {"opsgate": "secret check"}}
    return {"type": target.event_type, "id": f"opsgate_{event_id}", "opsgate": "secret check"}


def sign(target: WebhookTarget, secret: str, body: bytes, timestamp: int, event_id: str) -> dict[str, str]:
    """The headers that sign `body` with `secret` under the target's scheme."""
    scheme = target.scheme
    if scheme == "stripe":
        signed = f"{timestamp}.".encode() + body
        return {"Stripe-Signature": f"t={timestamp},v1={_mac(secret.encode(), signed, 'sha256').hex()}"}
    if scheme == "github":
        return {"X-Hub-Signature-256": "sha256=" + _mac(secret.encode(), body, "sha256").hex(),
                "X-GitHub-Event": "ping", "X-GitHub-Delivery": event_id}
    if scheme == "shopify":
        digest = base64.b64encode(_mac(secret.encode(), body, "sha256")).decode()
        return {"X-Shopify-Hmac-Sha256": digest, "X-Shopify-Topic": target.event_type,
                "X-Shopify-Webhook-Id": event_id}
    if scheme == "standard":
        key = standard_key(secret)
        signed = f"msg_{event_id}.{timestamp}.".encode() + body
        return {"webhook-id": f"msg_{event_id}", "webhook-timestamp": str(timestamp),
                "webhook-signature": "v1," + base64.b64encode(_mac(key, signed, "sha256")).decode()}
    return {target.hmac_scheme.header: _generic(target.hmac_scheme, secret, body)}


def _generic(scheme: HmacScheme, secret: str, body: bytes) -> str:
    raw = _mac(secret.encode(), body, scheme.digest)
    encoded = raw.hex() if scheme.encoding == "hex" else base64.b64encode(raw).decode()
    return scheme.prefix + encoded


def _mac(key: bytes, message: bytes, digest: str) -> bytes:
    return hmac.new(key, message, getattr(hashlib, digest)).digest()


def wrong_secret(target: WebhookTarget) -> str:
    """A secret of the same shape as the real one that certainly differs from it."""
    if target.scheme == "standard":
        return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    prefix = "whsec_" if target.secret.startswith("whsec_") else ""
    return prefix + "opsgate_wrong_" + secrets.token_hex(16)


def probe(target: WebhookTarget, timeout: float) -> WebhookFacts:
    """Send the correctly signed, wrongly signed (and stale) events; each answer is a fact."""
    deadline = time.monotonic() + timeout
    now = int(time.time())
    plans = [("correct secret", target.secret, now), ("wrong secret", wrong_secret(target), now)]
    if target.reject_stale:
        plans.append(("stale timestamp", target.secret, now - int(target.stale_by)))
    verify = client_tls(f"webhook {target.name}", target.ca_bundle, target.insecure)
    with httpx.Client(verify=verify) as client:
        exchanges = tuple(_send(client, target, label, secret, stamp, deadline)
                          for label, secret, stamp in plans)
    return WebhookFacts(url=target.url, scheme=target.scheme, exchanges=exchanges)


def _send(client: httpx.Client, target: WebhookTarget, label: str, secret: str, timestamp: int,
          deadline: float) -> Exchange:
    event_id = uuid.uuid4().hex
    payload = target.body if target.body is not None else default_event(target, timestamp, event_id)
    body = json.dumps(payload, separators=(",", ":")).encode()
    signature = sign(target, secret, body, timestamp, event_id)
    headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json", **target.headers,
               **signature}
    left = deadline - time.monotonic()
    if left <= 0:
        raise ProbeTimeout(f"POST {target.url}: the timeout ran out before the '{label}' event was sent")
    started = time.perf_counter()
    try:
        response = client.post(target.url, content=body, headers=headers, timeout=left)
    except httpx.HTTPError as exc:
        raise http_failure(f"POST {target.url} ({label} event)", target.url, exc, left,
                           max_redirects=0) from None
    return Exchange(label=label, status=response.status_code, reason=response.reason_phrase,
                    elapsed=time.perf_counter() - started, body_excerpt=clip(response.text, _EXCERPT),
                    signature_headers=tuple(signature))
