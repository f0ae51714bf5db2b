"""Replica of the e-commerce support agent's API (seed runbook 003), at `/replicas/support-agent/`.

`/health`; `/health/ready` with the real local PostgreSQL and Redis behind it
(OPSGATE_DEMO_DATABASE_URL, OPSGATE_DEMO_REDIS_URL); `/logs`, what `railway logs --service api
--limit 100` prints; `/tools/railway-status`, what `railway status --json` prints. Broken mode:
readiness fails, the log shows unhandled errors and the LLM provider's 429s, the deployment crashed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from opsgate.demo.app import Request, Response, json_response, postgres_ok, redis_ok, route

BASE = "/replicas/support-agent"


@route("GET", f"{BASE}/health")
def health(req: Request) -> Response:
    return json_response(200, {"status": "ok"})


@route("GET", f"{BASE}/health/ready")
def ready(req: Request) -> Response:
    database, cache = (False, False) if req.state.broken else (postgres_ok(), redis_ok())
    ok = database and cache
    return json_response(200 if ok else 503, {"status": "ready" if ok else "not ready",
                                              "database": database, "redis": cache})


@route("GET", f"{BASE}/logs")
def logs(req: Request) -> Response:
    """The last 100 lines of the API service, newest last."""
    now = time.time()
    lines = [f"{_iso(now - 300 + i * 10)} INFO POST /v1/chat 200 1840ms intent=order_status"
             for i in range(20)]
    if req.state.broken:
        lines += [f"{_iso(now - 60 + i)} ERROR openai.RateLimitError: Error code: 429 - Rate limit reached "
                  "for gpt-4o" for i in range(8)]
        lines += [f"{_iso(now - 30)} ERROR Unhandled exception in /v1/chat",
                  "Traceback (most recent call last):",
                  "sqlalchemy.exc.TimeoutError: QueuePool limit of size 20 overflow 10 reached"]
    return Response(200, ("\n".join(lines) + "\n").encode(), [("Content-Type", "text/plain")])


@route("GET", f"{BASE}/tools/railway-status")
def railway_status(req: Request) -> Response:
    if req.state.broken:
        return json_response(503, {"error": "service api: deployment CRASHED"})
    services = [{"name": "api", "status": "SUCCESS"}]
    return json_response(200, {"project": "support-agent", "services": services})


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
