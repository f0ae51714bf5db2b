"""Demo webhook receivers: `POST /webhooks/{scheme}` verifies signatures with fixed demo secrets.

Healthy mode checks each scheme's signature (and, for stripe and standard, a 5-minute timestamp
tolerance) and answers 200, or 400 on a bad signature. Broken mode accepts anything, like an
application that never verifies — the webhook check must flag it as a security failure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from opsgate.demo.app import Request, Response, json_response, route

TOLERANCE = 300
SECRETS = {
    "stripe": "whsec_opsgate_demo_stripe_secret",
    "github": "opsgate-demo-github-secret",
    "shopify": "opsgate-demo-shopify-secret",
    "standard": "whsec_" + base64.b64encode(b"opsgate-demo-standard-key-32byte").decode(),
    "hmac": "opsgate-demo-hmac-secret",
}
HMAC_HEADER = "X-Signature"  # generic scheme: hex HMAC-SHA256 of the body


def _mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _fresh(timestamp: str) -> bool:
    return timestamp.isdigit() and abs(time.time() - int(timestamp)) <= TOLERANCE


def _stripe(req: Request) -> bool:
    parts = [p.split("=", 1) for p in req.header("Stripe-Signature").split(",") if "=" in p]
    stamp = next((v for k, v in parts if k == "t"), "")
    expected = _mac(SECRETS["stripe"].encode(), stamp.encode() + b"." + req.body).hex()
    good = any(hmac.compare_digest(v, expected) for k, v in parts if k == "v1")
    return good and _fresh(stamp)


def _github(req: Request) -> bool:
    expected = "sha256=" + _mac(SECRETS["github"].encode(), req.body).hex()
    return hmac.compare_digest(req.header("X-Hub-Signature-256"), expected)


def _shopify(req: Request) -> bool:
    expected = base64.b64encode(_mac(SECRETS["shopify"].encode(), req.body)).decode()
    return hmac.compare_digest(req.header("X-Shopify-Hmac-Sha256"), expected)


def _standard(req: Request) -> bool:
    key = base64.b64decode(SECRETS["standard"].removeprefix("whsec_"))
    msg_id, stamp = req.header("webhook-id"), req.header("webhook-timestamp")
    expected = base64.b64encode(_mac(key, f"{msg_id}.{stamp}.".encode() + req.body)).decode()
    given = [s.split(",", 1)[1] for s in req.header("webhook-signature").split() if s.startswith("v1,")]
    return any(hmac.compare_digest(g, expected) for g in given) and _fresh(stamp)


def _generic(req: Request) -> bool:
    expected = _mac(SECRETS["hmac"].encode(), req.body).hex()
    return hmac.compare_digest(req.header(HMAC_HEADER), expected)


VERIFIERS = {"stripe": _stripe, "github": _github, "shopify": _shopify, "standard": _standard,
             "hmac": _generic}


@route("POST", "/webhooks/{scheme}")
def receive(req: Request) -> Response:
    """200 for a correctly signed event, 400 for a bad or stale signature (broken: always 200)."""
    verify = VERIFIERS.get(req.params["scheme"])
    if verify is None:
        return json_response(404, {"error": f"no receiver for {req.params['scheme']!r}",
                                   "schemes": sorted(VERIFIERS)})
    if req.state.broken or verify(req):
        return json_response(200, {"received": True})
    return json_response(400, {"error": "invalid signature"})
