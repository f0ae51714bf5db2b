"""Replica of PinCart AI (seed runbook 000), mounted at `/replicas/pincart/` on every demo target.

`/health` answers `{"status": "ok", "redis": ...}` with the real local Redis behind it; `/` carries
the frontend's security headers; `/discover` is rate limited to 30 requests a minute per client
(`RATE_LIMIT_RPM`); `/webhooks/stripe` verifies signatures with the demo's Stripe secret; `/logs`
is what `doctl apps logs` prints (access lines and tracebacks); `/tools/deployments` is what
`doctl apps list-deployments -o json` prints. Broken mode shows the runbook's alerts: Redis
unavailable, weak headers, no rate limit, a 429 spike from one IP, a burst of unhandled exceptions,
a failed deployment.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from opsgate.demo.app import (
    Request,
    Response,
    html_response,
    json_response,
    redis_ok,
    route,
    security_headers,
)
from opsgate.demo.ratelimit import take
from opsgate.demo.webhooks import receive

BASE = "/replicas/pincart"
RATE_LIMIT_RPM = 30


@route("GET", f"{BASE}/health")
def health(req: Request) -> Response:
    return json_response(200, {"status": "ok", "redis": not req.state.broken and redis_ok()})


@route("GET", f"{BASE}/")
def frontend(req: Request) -> Response:
    return html_response("<!doctype html><title>PinCart</title><h1>PinCart</h1>", security_headers(req.state))


@route("GET", f"{BASE}/discover")
def discover(req: Request) -> Response:
    if not req.state.broken:
        forwarded = req.header("x-forwarded-for")
        allowed, _, reset = take(f"pincart:{req.arg('key') or forwarded or '-'}", RATE_LIMIT_RPM, 60)
        if not allowed:
            return json_response(429, {"detail": "Rate limit exceeded: 30 per 1 minute"},
                                 [("Retry-After", str(math.ceil(reset)))])
    return json_response(200, {"pins": [{"id": 1, "title": "Linen tote"}]})


@route("POST", f"{BASE}/webhooks/{{scheme}}")
def webhook(req: Request) -> Response:
    return receive(req)


@route("GET", f"{BASE}/logs")
def logs(req: Request) -> Response:
    """The last minutes of `doctl apps logs --type run`: nginx-style access lines, tracebacks."""
    now = time.time()
    lines = [_access(now - 240 + i * 20, "198.51.100.4", "GET /health", 200) for i in range(10)]
    if req.state.broken:
        lines += [_access(now - 120 + i, "203.0.113.66", "GET /discover", 429) for i in range(45)]
        lines += [f"{_iso(now - 60 + i)} ERROR Unhandled exception in /generate\nTraceback (most recent call "
                  "last):\nopenai.RateLimitError: insufficient_quota" for i in range(12)]
    return Response(200, ("\n".join(lines) + "\n").encode(), [("Content-Type", "text/plain")])


@route("GET", f"{BASE}/tools/deployments")
def deployments(req: Request) -> Response:
    """What `doctl apps list-deployments <app-id> -o json` prints, newest first."""
    newest = "ERROR" if req.state.broken else "ACTIVE"
    return json_response(200, [{"id": "b7c1", "phase": newest, "cause": "commit a1b2c3d pushed to main"},
                               {"id": "a9f0", "phase": "SUPERSEDED", "cause": "manual"}])


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _access(at: float, ip: str, request: str, status: int) -> str:
    stamp = datetime.fromtimestamp(at, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{ip} - - [{stamp}] "{request} HTTP/1.1" {status} 64 "-" "Mozilla/5.0"'
