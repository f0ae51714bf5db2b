"""Real webhook receivers for the webhook probe's tests. Stripe and Standard Webhooks receivers
verify with the providers' own libraries (`stripe.Webhook.construct_event`,
`standardwebhooks.Webhook.verify`); GitHub, Shopify and the generic HMAC follow their docs.

Modes: `verify` (the given secret), `accept-all` (never verifies), `no-timestamp` (verifies the
signature but ignores the timestamp's age), `crash` (500 on everything).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import standardwebhooks
import stripe


def verified(scheme: str, secret: str, body: bytes, headers: dict[str, str], tolerance: bool) -> bool:
    """Whether the receiver's verification accepts the request."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        if scheme == "stripe":
            stripe.Webhook.construct_event(body.decode(), lower.get("stripe-signature", ""), secret,
                                           tolerance=300 if tolerance else None)
        elif scheme == "standard":
            if not tolerance:
                return _standard_ignoring_time(secret, body, lower)
            standardwebhooks.Webhook(secret).verify(body, lower)
        elif scheme == "github":
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            return hmac.compare_digest(lower.get("x-hub-signature-256", ""), expected)
        elif scheme == "shopify":
            expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
            return hmac.compare_digest(lower.get("x-shopify-hmac-sha256", ""), expected)
        else:
            expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            return hmac.compare_digest(lower.get("x-signature", ""), expected)
    except (stripe.SignatureVerificationError, standardwebhooks.WebhookVerificationError, ValueError):
        return False
    return True


def _standard_ignoring_time(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{headers.get('webhook-id')}.{headers.get('webhook-timestamp')}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return any(s == f"v1,{expected}" for s in headers.get("webhook-signature", "").split())


class Receiver:
    """One receiver on 127.0.0.1:<free port>; `received` lists every request's headers."""

    def __init__(self, scheme: str, secret: str, mode: str = "verify") -> None:
        self.scheme, self.secret, self.mode = scheme, secret, mode
        self.received: list[dict[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers.items())
                receiver.received.append(headers)
                status = receiver.status_for(body, headers)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/{scheme}"

    def status_for(self, body: bytes, headers: dict[str, str]) -> int:
        if self.mode == "crash":
            return 500
        if self.mode == "accept-all":
            return 200
        ok = verified(self.scheme, self.secret, body, headers, tolerance=self.mode != "no-timestamp")
        return 200 if ok else 400


@contextlib.contextmanager
def receiver(scheme: str, secret: str, mode: str = "verify") -> Iterator[Receiver]:
    server = Receiver(scheme, secret, mode)
    thread = threading.Thread(target=server.server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
